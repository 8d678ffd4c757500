"""The review sheet: a CSV an expert fills in (in a spreadsheet or the HTML review page) and
`eval review --import` reads back.

Columns: `item`, `input`, `expected`, then for each prompt of the run, in order,
`answer: SPEC`, `pass: SPEC` and `comment: SPEC`. In a pass column `pass`, `yes`, `y`, `1`,
`true` or `ok` is a pass, `fail`, `no`, `n`, `0` or `false` a fail, and an empty cell means not
reviewed. Marks already imported are filled in again on export, so a sheet can be reviewed in
several sittings. Only `item` and the pass and comment columns are read back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from sluicegate.evals.evaluator import EvalItem
from sluicegate.evals.records import ItemResult
from sluicegate.evals.review_marks import Mark, ReviewMarks

PASS_WORDS = frozenset({"pass", "passed", "yes", "y", "1", "true", "ok", "good"})
FAIL_WORDS = frozenset({"fail", "failed", "no", "n", "0", "false", "bad"})


class SheetError(ValueError):
    """A sheet that does not fit the run; the message names the row and column."""


@dataclass(frozen=True, slots=True)
class SheetRow:
    item: str
    input: str
    expected: str
    answers: tuple[str, ...]
    """One per prompt, in the run's order ('' when that prompt got no answer)."""
    marks: tuple[Mark | None, ...]


def input_text(inputs: Mapping[str, Any]) -> str:
    """An item's inputs as a reader wants them: the text of a single text input, else JSON."""
    if len(inputs) == 1:
        (value,) = inputs.values()
        if isinstance(value, str):
            return value
    return orjson.dumps(dict(inputs), option=orjson.OPT_INDENT_2).decode()


def sheet_rows(
    items: Sequence[EvalItem],
    prompts: Sequence[str],
    results: Mapping[tuple[str, str], ItemResult],
    review: ReviewMarks | None,
) -> list[SheetRow]:
    """One row per item that some prompt answered, in dataset order."""
    rows: list[SheetRow] = []
    marks = review.marks if review is not None else {}
    for item in items:
        answered = [results.get((item.id, spec)) for spec in prompts]
        if not any(r is not None and r.done for r in answered):
            continue
        rows.append(
            SheetRow(
                item=item.id,
                input=input_text(item.inputs),
                expected=item.expected or "",
                answers=tuple(r.answer or "" if r is not None and r.done else "" for r in answered),
                marks=tuple(marks.get((item.id, spec)) for spec in prompts),
            )
        )
    return rows


def header(prompts: Sequence[str]) -> list[str]:
    columns = ["item", "input", "expected"]
    for spec in prompts:
        columns += [f"answer: {spec}", f"pass: {spec}", f"comment: {spec}"]
    return columns


def write_sheet(rows: Sequence[SheetRow], prompts: Sequence[str]) -> str:
    """The CSV text (UTF-8 with a byte order mark when written, for spreadsheets)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header(prompts))
    for row in rows:
        cells = [row.item, row.input, row.expected]
        for answer, mark in zip(row.answers, row.marks, strict=True):
            verdict = "" if mark is None or mark.passed is None else mark_word(mark.passed)
            cells += [answer, verdict, mark.comment if mark is not None else ""]
        writer.writerow(cells)
    return out.getvalue()


def mark_word(passed: bool) -> str:
    return "pass" if passed else "fail"


def read_sheet(
    text: str, prompts: Sequence[str], item_ids: Sequence[str], source: str
) -> dict[tuple[str, str], Mark]:
    """The marks a filled-in sheet holds; raises `SheetError` naming the row of a problem."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        columns = next(reader)
    except StopIteration:
        raise SheetError(f"{source}: the sheet is empty") from None
    except csv.Error as error:
        raise SheetError(f"{source}: not a CSV file: {error}") from None
    positions = {name.strip(): index for index, name in enumerate(columns)}
    if "item" not in positions:
        raise SheetError(f"{source}: no 'item' column; export a sheet with `eval review --export`")
    known = set(prompts)
    for name in positions:
        kind, sep, spec = name.partition(": ")
        if sep and kind in ("pass", "comment", "answer") and spec not in known:
            raise SheetError(
                f"{source}: column {name!r} names a prompt this run does not have "
                f"(its prompts: {', '.join(prompts)})"
            )
    pass_columns = {spec: positions.get(f"pass: {spec}") for spec in prompts}
    if all(index is None for index in pass_columns.values()):
        raise SheetError(f"{source}: no 'pass: <prompt>' column for any prompt of this run")
    ids = set(item_ids)
    marks: dict[tuple[str, str], Mark] = {}
    try:
        for row_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            item = _cell(row, positions["item"]).strip()
            if item not in ids:
                raise SheetError(f"{source} row {row_number}: item {item!r} is not in this run")
            for spec in prompts:
                verdict = _verdict(
                    _cell(row, pass_columns[spec]), f"{source} row {row_number}, pass: {spec}"
                )
                comment = _cell(row, positions.get(f"comment: {spec}")).strip()
                if verdict is not None or comment:
                    marks[(item, spec)] = Mark(verdict, comment)
    except csv.Error as error:
        raise SheetError(f"{source}: not a valid CSV file: {error}") from None
    return marks


def _cell(row: Sequence[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index]


def _verdict(text: str, where: str) -> bool | None:
    word = text.strip().lower()
    if not word:
        return None
    if word in PASS_WORDS:
        return True
    if word in FAIL_WORDS:
        return False
    raise SheetError(f"{where}: {text.strip()[:40]!r} is neither pass nor fail (or empty)")
