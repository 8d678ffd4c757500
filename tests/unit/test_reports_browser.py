"""The shared HTML report as a browser shows it: plots drawn, nothing fetched."""

from __future__ import annotations

from pathlib import Path

from tests.browser import render

from sluicegate.reports import HtmlReport, new_figure


def test_report_renders_offline_with_its_plot(tmp_path: Path) -> None:
    figure = new_figure(5, 3)
    figure.add_subplot().bar(["a", "b"], [3, 5])
    report = HtmlReport("Report <title>", subtitle="offline")
    section = report.section("Numbers")
    section.summary({"requests": 1200})
    section.table(["name", "value"], [["<b>bold?</b>", 1.5]])
    section.figure(figure, caption="Bars", alt="a bar chart")
    page = render(report.write(tmp_path / "report.html"))
    assert page.title == "Report <title>"
    assert page.headings == ["Report <title>", "Numbers"]
    assert "<b>bold?</b>" in page.text
    assert "1,200" in page.text
    (image,) = page.images
    assert image.src_scheme == "data"
    assert image.alt == "a bar chart"
    assert image.natural_width == 550
    assert image.natural_height == 330
    assert page.blocked_requests == []
    assert page.console_errors == []


def test_the_helper_sees_and_blocks_external_requests(tmp_path: Path) -> None:
    """The check above could not fail if the helper missed requests: show that it sees them."""
    path = tmp_path / "leaky.html"
    path.write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="https://cdn.example.com/a.css">'
        '</head><body><img src="http://203.0.113.7/plot.png" alt="remote"></body></html>',
        encoding="utf-8",
    )
    page = render(path)
    assert "https://cdn.example.com/a.css" in page.blocked_requests
    assert "http://203.0.113.7/plot.png" in page.blocked_requests
    (image,) = page.images
    assert image.natural_width == 0
