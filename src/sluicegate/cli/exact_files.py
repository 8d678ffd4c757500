"""The files the registry commands push and pull (prompty files, JSONL datasets), byte for
byte: read as UTF-8 without newline translation, and written back exactly so, because the
content hash of a version is taken over those bytes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sluicegate.cli.store_access import failure, usage_error

OutputFileOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file instead of standard output."),
]


def read_exact(file: Path, kind: str) -> str:
    """The file's text exactly; a missing file, a directory or bytes that are not UTF-8 are
    bad input (exit 2), a file that cannot be read a failure (exit 1). `kind` names what the
    file should be (`prompty`, `JSONL`)."""
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        usage_error(f"{file}: no such file")
    except IsADirectoryError:
        usage_error(f"{file} is a directory, not a {kind} file")
    except OSError as error:
        failure(f"{file}: cannot be read ({error.strerror or type(error).__name__})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        usage_error(f"{file} is not UTF-8 text (byte {error.start})")


def write_exact(text: str, output: Path | None, ref: str) -> None:
    """`text` (the version `ref`) as UTF-8 on standard output, or into `output` with a line
    that says so."""
    data = text.encode("utf-8")
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as error:
        failure(f"{output}: cannot be written ({error.strerror or type(error).__name__})")
    typer.echo(f"Wrote {ref} to {output}.")
