"""The review sheet and page: every answer laid out, marks read back, mistakes named."""

from __future__ import annotations

import csv
import io
import re

import pytest

from sluicegate.evals.evaluator import EvalItem
from sluicegate.evals.records import ItemResult
from sluicegate.evals.review_marks import Mark, ReviewMarks
from sluicegate.evals.review_page import review_page
from sluicegate.evals.review_sheet import SheetError, read_sheet, sheet_rows, write_sheet

A, B = "qa@v1", "other, with comma.prompty"
ITEMS = [
    EvalItem("i1", {"question": "2+2?"}, "4"),
    EvalItem("i2", {"question": "3+3?", "unit": "apples"}),
    EvalItem("i3", {"question": "never answered"}),
]
RESULTS = {
    ("i1", A): ItemResult("i1", A, "4", None, 200),
    ("i1", B): ItemResult("i1", B, 'It is "4",\nsurely', None, 200),
    ("i2", A): ItemResult("i2", A, None, "HTTP 500: x", 500),
    ("i2", B): ItemResult("i2", B, "</script><b>6</b>", None, 200),
    ("i3", A): ItemResult("i3", A, None, "HTTP 500: x", 500),
}


def rows(review: ReviewMarks | None = None) -> list:  # type: ignore[type-arg]
    return sheet_rows(ITEMS, [A, B], RESULTS, review)


def test_the_sheet_lists_answered_items_with_a_column_set_per_prompt() -> None:
    text = write_sheet(rows(), [A, B])
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == [
        "item", "input", "expected",
        f"answer: {A}", f"pass: {A}", f"comment: {A}",
        f"answer: {B}", f"pass: {B}", f"comment: {B}",
    ]  # fmt: skip
    assert [row[0] for row in table[1:]] == ["i1", "i2"]  # i3 has no answer at all
    assert table[1][1:4] == ["2+2?", "4", "4"]
    assert table[1][6] == 'It is "4",\nsurely'
    assert '"unit": "apples"' in table[2][1]
    assert table[2][3] == ""  # the failed answer is left empty


def test_filled_in_marks_round_trip() -> None:
    text = write_sheet(rows(), [A, B])
    table = list(csv.reader(io.StringIO(text)))
    table[1][4], table[1][5] = "Pass", "right"
    table[1][7] = "no"
    table[2][7], table[2][8] = "", "only a comment"
    out = io.StringIO()
    csv.writer(out).writerows(table)
    marks = read_sheet(out.getvalue(), [A, B], ["i1", "i2", "i3"], "sheet.csv")
    assert marks == {
        ("i1", A): Mark(True, "right"),
        ("i1", B): Mark(False, ""),
        ("i2", B): Mark(None, "only a comment"),
    }
    review = ReviewMarks()
    review.merge(marks, "sheet.csv")
    again = list(csv.reader(io.StringIO(write_sheet(rows(review), [A, B]))))
    assert (again[1][4], again[1][5], again[1][7]) == ("pass", "right", "fail")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t[1].__setitem__(0, "i9"), "sheet.csv row 2: item 'i9' is not in this run"),
        (lambda t: t[1].__setitem__(4, "maybe"), "row 2, pass: qa@v1: 'maybe' is neither"),
        (lambda t: t[0].__setitem__(4, "pass: qa@v7"), "column 'pass: qa@v7' names a prompt"),
        (lambda t: t[0].__setitem__(0, "id"), "no 'item' column"),
    ],
)
def test_mistakes_in_a_sheet_are_named(edit: object, message: str) -> None:
    table = list(csv.reader(io.StringIO(write_sheet(rows(), [A, B]))))
    edit(table)  # type: ignore[operator]
    out = io.StringIO()
    csv.writer(out).writerows(table)
    with pytest.raises(SheetError) as raised:
        read_sheet(out.getvalue(), [A, B], ["i1", "i2", "i3"], "sheet.csv")
    assert message in str(raised.value)


def test_a_sheet_without_pass_columns_or_content() -> None:
    with pytest.raises(SheetError, match="no 'pass: <prompt>' column"):
        read_sheet("item,input\ni1,x\n", [A], ["i1"], "s.csv")
    with pytest.raises(SheetError, match="the sheet is empty"):
        read_sheet("", [A], ["i1"], "s.csv")


def test_the_page_escapes_answers_and_keeps_its_data_inert() -> None:
    page = review_page(rows(), [A, B], title="Review <x>", run_key="/runs/1")
    assert "<title>Review &lt;x&gt;</title>" in page
    assert "&lt;/script&gt;&lt;b&gt;6&lt;/b&gt;" in page
    data = re.search(r'<script type="application/json" id="review-data">(.*?)</script>', page)
    assert data is not None
    assert "</script>" not in data.group(1)
    assert "\\u003c/script>" in data.group(1)
    assert "script-src 'unsafe-inline'" in page
    assert "connect-src" not in page  # default-src 'none' covers every fetch
