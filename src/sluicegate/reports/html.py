"""A self-contained HTML report: one file that opens in any browser with no network.

Everything a page needs is inside it: the CSS is inline, plots are PNG data URIs, and a
Content-Security-Policy forbids the page from loading anything else. Every piece of text a caller
passes is HTML-escaped, so a model name or an endpoint URL is shown, never interpreted.

    report = HtmlReport("Capacity plan", subtitle="gpt-4o, 30 days of usage")
    summary = report.section("Summary")
    summary.summary({"PTUs needed": 150, "Monthly cost": "$36,500"})
    summary.paragraph("Buy 150 PTUs: ...")
    costs = report.section("Cost by PTU count")
    costs.table(["PTUs", "Monthly cost"], [[100, 41000.0], [150, 36500.0]])
    costs.figure(figure, caption="Monthly cost versus PTU count")
    report.write(Path("plan.html"))
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from matplotlib.figure import Figure

from sluicegate.reports.figures import DEFAULT_DPI, figure_png

__all__ = ["Cell", "HtmlReport", "Section", "format_cell"]

Cell = str | int | float | None
"""A table or summary value: numbers are formatted (and right-aligned), None shows as a dash."""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'"
)
"""Nothing may be fetched: images only from data: URIs, styles only from the inline block."""

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
  max-width: 72rem; padding: 0 1.5rem; color: #1f2328; line-height: 1.5; }
h1 { margin-bottom: 0.2rem; }
.subtitle { color: #59636e; margin-top: 0; }
section { margin-top: 2.2rem; }
h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: 0.3rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: #59636e; padding-bottom: 0.3rem; }
th, td { border: 1px solid #d1d9e0; padding: 0.3rem 0.7rem; text-align: left; }
th { background: #f6f8fa; }
td.num { text-align: right; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: 0.3rem 1.5rem;
  background: #f6f8fa; border: 1px solid #d1d9e0; border-radius: 6px; padding: 0.8rem 1.2rem; }
dl.summary dt { font-weight: 600; }
dl.summary dd { margin: 0; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #d1d9e0; }
figcaption { color: #59636e; }
pre { background: #f6f8fa; border: 1px solid #d1d9e0; border-radius: 6px; padding: 0.8rem;
  overflow-x: auto; }
footer { margin-top: 3rem; color: #59636e; font-size: 0.9rem; }
"""


def format_cell(value: Cell) -> str:
    """How a value is shown: integers with thousands separators, floats with two decimals
    (or in scientific notation when tiny), None as an em dash, the rest as `str`."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value != 0 and abs(value) < 0.01:
            return f"{value:.2e}"
        return f"{value:,.2f}"
    return str(value)


def _is_number(value: Cell) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(slots=True)
class Section:
    """A titled part of the report; its blocks are shown in the order they were added."""

    title: str
    _blocks: list[str] = field(default_factory=list)

    def paragraph(self, text: str) -> Section:
        """A paragraph of plain text (blank lines in `text` start new paragraphs)."""
        for part in text.split("\n\n"):
            if part.strip():
                self._blocks.append(f"<p>{escape(part.strip())}</p>")
        return self

    def preformatted(self, text: str) -> Section:
        """Text shown as is, in a monospace block: a command line, a configuration snippet."""
        self._blocks.append(f"<pre>{escape(text)}</pre>")
        return self

    def bullets(self, items: Iterable[str]) -> Section:
        """An unordered list of plain-text items."""
        lines = "".join(f"<li>{escape(item)}</li>" for item in items)
        self._blocks.append(f"<ul>{lines}</ul>")
        return self

    def summary(self, values: Mapping[str, Cell]) -> Section:
        """Key-value pairs shown as a highlighted block (the headline figures)."""
        pairs = "".join(
            f"<dt>{escape(key)}</dt><dd>{escape(format_cell(value))}</dd>"
            for key, value in values.items()
        )
        self._blocks.append(f'<dl class="summary">{pairs}</dl>')
        return self

    def table(
        self,
        headers: Sequence[str],
        rows: Iterable[Sequence[Cell]],
        *,
        caption: str | None = None,
    ) -> Section:
        """A table from rows of cells; numeric cells are right-aligned. Every row must have
        as many cells as there are headers."""
        head = "".join(f'<th scope="col">{escape(header)}</th>' for header in headers)
        body: list[str] = []
        for number, row in enumerate(rows, start=1):
            if len(row) != len(headers):
                raise ValueError(
                    f"table {caption or self.title!r}: row {number} has {len(row)} cells, "
                    f"expected {len(headers)}"
                )
            cells = "".join(
                f'<td class="num">{escape(format_cell(cell))}</td>'
                if _is_number(cell)
                else f"<td>{escape(format_cell(cell))}</td>"
                for cell in row
            )
            body.append(f"<tr>{cells}</tr>")
        title = f"<caption>{escape(caption)}</caption>" if caption else ""
        self._blocks.append(
            f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )
        return self

    def figure(
        self,
        figure: Figure | bytes,
        *,
        caption: str | None = None,
        alt: str | None = None,
        dpi: int = DEFAULT_DPI,
    ) -> Section:
        """A plot, inlined as a base64 PNG: a matplotlib `Figure` (rendered now, so it may be
        discarded afterwards) or PNG bytes already rendered."""
        png = figure if isinstance(figure, bytes) else figure_png(figure, dpi=dpi)
        if not png.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError("figure bytes are not a PNG image")
        data = base64.b64encode(png).decode("ascii")
        description = escape(alt or caption or self.title, quote=True)
        image = f'<img src="data:image/png;base64,{data}" alt="{description}">'
        text = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
        self._blocks.append(f"<figure>{image}{text}</figure>")
        return self

    def render(self) -> str:
        return f"<section><h2>{escape(self.title)}</h2>{''.join(self._blocks)}</section>"


@dataclass(slots=True)
class HtmlReport:
    """A report page: a title, an optional subtitle and footer, and sections in order."""

    title: str
    subtitle: str | None = None
    footer: str | None = None
    _sections: list[Section] = field(default_factory=list)

    def section(self, title: str) -> Section:
        """A new section, appended at the end of the page; fill it through its methods."""
        section = Section(title)
        self._sections.append(section)
        return section

    def render(self) -> str:
        """The whole page as a string of HTML5."""
        subtitle = f'<p class="subtitle">{escape(self.subtitle)}</p>' if self.subtitle else ""
        footer = f"<footer>{escape(self.footer)}</footer>" if self.footer else ""
        sections = "\n".join(section.render() for section in self._sections)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(self.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<header><h1>{escape(self.title)}</h1>{subtitle}</header>\n"
            f"{sections}\n{footer}\n</body>\n</html>\n"
        )

    def write(self, path: Path) -> Path:
        """Write the page to `path` (UTF-8) and return the path."""
        path.write_text(self.render(), encoding="utf-8")
        return path
