"""Options of the commands that send requests to an OpenAI-compatible endpoint (`bench` and
`eval run`): the same option is named, explained and placed in the help alike in both."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

TARGET_PANEL = "Target"
OUTPUT_PANEL = "Output"

ApiKeyEnvOption = Annotated[
    str | None,
    typer.Option(
        help="Environment variable holding the key (never the key itself).",
        rich_help_panel=TARGET_PANEL,
    ),
]
HeaderOption = Annotated[
    list[str] | None,
    typer.Option(
        "--header",
        "-H",
        help="Extra request header 'Name: value' (repeatable).",
        rich_help_panel=TARGET_PANEL,
    ),
]
PricesOption = Annotated[
    Path | None,
    typer.Option(
        help="Price table (YAML/JSON, USD per 1M input and output tokens per model).",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
