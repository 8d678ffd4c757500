"""The shared HTML report: escaping, no external reference, decodable images."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from PIL import Image

from sluicegate.reports import HtmlReport, format_cell, new_figure, write_png
from sluicegate.reports.figures import figure_png


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Collect:
    parser = _Collect()
    parser.feed(html)
    parser.close()
    return parser


def _plot() -> Figure:
    figure = new_figure(4, 3)
    axes = figure.add_subplot()
    axes.plot([0, 1, 2], [2, 0, 1], label="<cost>")
    axes.set_title("<title> & more")
    return figure


def _full_report() -> HtmlReport:
    hostile = '<script>alert("x")</script> & "quoted" \'single\''
    report = HtmlReport(hostile, subtitle=hostile, footer=hostile)
    section = report.section(hostile)
    section.paragraph(hostile + "\n\nsecond <p>")
    section.summary({hostile: hostile, "count": 1234567, "share": 0.25, "none": None})
    section.table([hostile, "n"], [[hostile, 3], ["https://example.com/x", 2.5]], caption=hostile)
    section.bullets([hostile])
    section.preformatted(hostile)
    section.figure(_plot(), caption=hostile, alt=hostile)
    return report


def test_every_text_is_escaped() -> None:
    html = _full_report().render()
    parsed = _parse(html)
    tags = {tag for tag, _ in parsed.tags}
    assert "script" not in tags
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 8
    # The alt attribute is quoted and escaped: no attribute leaks out of it.
    (image,) = [attrs for tag, attrs in parsed.tags if tag == "img"]
    assert image["alt"] == '<script>alert("x")</script> & "quoted" \'single\''
    assert set(image) == {"src", "alt"}


def test_nothing_refers_outside_the_page() -> None:
    html = _full_report().render()
    parsed = _parse(html)
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "srcset", "action", "poster", "data"):
            value = attrs.get(name)
            assert value is None or value.startswith("data:"), (tag, name, value)
        assert tag not in {"link", "script", "iframe", "object", "embed", "base"}
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style is not None
    assert "url(" not in style.group(1)
    assert "@import" not in style.group(1)
    # The only URL in the page is the text the caller gave, shown escaped inside a cell.
    assert re.findall(r"https?://[^\s<\"]+", html) == ["https://example.com/x"]
    assert "<td>https://example.com/x</td>" in html
    (csp,) = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    assert "default-src 'none'" in (csp["content"] or "")


def test_images_are_decodable_pngs() -> None:
    html = _full_report().render()
    (image,) = [attrs for tag, attrs in _parse(html).tags if tag == "img"]
    source = image["src"] or ""
    prefix = "data:image/png;base64,"
    assert source.startswith(prefix)
    decoded = Image.open(io.BytesIO(base64.b64decode(source[len(prefix) :], validate=True)))
    decoded.load()
    assert decoded.format == "PNG"
    assert decoded.size == (4 * 110, 3 * 110)


def test_write_png_writes_a_png_file(tmp_path: Path) -> None:
    path = write_png(_plot(), tmp_path / "plot.png", dpi=50)
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (200, 150)


def test_any_figure_renders_even_without_an_agg_canvas() -> None:
    figure = Figure(figsize=(2, 1))
    figure.add_subplot().plot([1, 2])
    assert figure_png(figure, dpi=40).startswith(b"\x89PNG")


def test_figure_bytes_must_be_png() -> None:
    report = HtmlReport("r")
    with pytest.raises(ValueError, match="not a PNG"):
        report.section("s").figure(b"GIF89a")


def test_rows_must_match_the_headers() -> None:
    section = HtmlReport("r").section("Costs")
    with pytest.raises(ValueError, match=r"'Costs': row 2 has 1 cells, expected 2"):
        section.table(["a", "b"], [[1, 2], [3]])


def test_numbers_are_formatted_and_right_aligned() -> None:
    assert format_cell(1234567) == "1,234,567"
    assert format_cell(1234.5) == "1,234.50"
    assert format_cell(0.001234) == "1.23e-03"
    assert format_cell(0.0) == "0.00"
    assert format_cell(None) == "—"
    assert format_cell(True) == "yes"
    html = HtmlReport("r").section("s").table(["a", "b"], [[1.5, "x"]]).render()
    assert '<td class="num">1.50</td><td>x</td>' in html


def test_page_has_sections_in_order_and_is_utf8(tmp_path: Path) -> None:
    report = HtmlReport("Plan — ünïcode")
    report.section("First").paragraph("one")
    report.section("Second").paragraph("two")
    path = report.write(tmp_path / "r.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in text
    assert text.index("<h2>First</h2>") < text.index("<h2>Second</h2>")
    assert "Plan — ünïcode" in text
