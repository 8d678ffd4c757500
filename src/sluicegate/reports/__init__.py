"""Self-contained HTML reports and PNG plots for the command-line tools (`plan`, `bench`).

- `HtmlReport` / `Section` (`reports.html`): a page of sections holding paragraphs, key-value
  summaries, tables and matplotlib figures; all text escaped, CSS inline, images as data URIs,
  nothing fetched from the network.
- `new_figure`, `figure_png`, `write_png` (`reports.figures`): matplotlib figures drawn by Agg
  without pyplot (no global figure registry, no GUI backend).

Importing this package loads matplotlib; tools import it inside the command that needs it.
"""

from sluicegate.reports.figures import figure_png, new_figure, write_png
from sluicegate.reports.html import Cell, HtmlReport, Section, format_cell

__all__ = ["Cell", "HtmlReport", "Section", "figure_png", "format_cell", "new_figure", "write_png"]
