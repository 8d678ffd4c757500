"""The remote detectors' pure parts: cutting texts, reading replies, building conversations."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluicegate.config.credentials import ApiKeyAuth, BearerAuth, EntraAuth, NoAuth
from sluicegate.config.safety_remote import (
    DEFAULT_GUARD_CATEGORIES,
    GuardCategory,
    SubscriptionKeyAuth,
)
from sluicegate.safety.remote.azure_replies import Malformed, analysis_findings, shield_answers
from sluicegate.safety.remote.chunks import Piece, batches, pieces_of, split
from sluicegate.safety.remote.headers import static_headers
from sluicegate.safety.remote.http import parse_retry_after
from sluicegate.safety.remote.llama_guard import (
    Unreadable,
    conversation,
    findings,
    parse_answer,
)
from sluicegate.safety.verdict import DETECTED, Category, Span

SECRET = "secret-value-93c1"


# --- chunks ---------------------------------------------------------------------------------


def test_a_short_text_is_one_piece() -> None:
    assert split("hello", 10) == [(0, "hello")]
    assert split("", 10) == [(0, "")]
    assert split("x" * 10, 10) == [(0, "x" * 10)]


def test_cuts_fall_after_a_space() -> None:
    assert split("aaaa bbbb cccc", 7) == [(0, "aaaa "), (5, "bbbb "), (10, "cccc")]


def test_a_text_without_spaces_is_cut_hard() -> None:
    assert split("abcdefghij", 4) == [(0, "abcd"), (4, "efgh"), (8, "ij")]


def test_a_space_too_early_in_the_piece_is_not_used() -> None:
    assert split("a bcdefghijkl", 6) == [(0, "a bcde"), (6, "fghijk"), (12, "l")]


@given(st.text(alphabet="ab \n😀", max_size=300), st.integers(min_value=1, max_value=40))
def test_pieces_cover_the_text_exactly_within_the_limit(text: str, limit: int) -> None:
    pieces = split(text, limit)
    assert "".join(piece for _, piece in pieces) == text
    for offset, piece in pieces:
        assert text[offset : offset + len(piece)] == piece
        assert len(piece) <= limit


def test_empty_texts_have_no_pieces() -> None:
    assert pieces_of(["", "abc", ""], 10) == [Piece(1, 0, "abc")]


def test_batches_respect_both_limits() -> None:
    pieces = [Piece(index, 0, "x" * size) for index, size in enumerate([3, 3, 3, 1, 1, 1, 1, 9])]
    groups = batches(pieces, max_items=3, max_total=9)
    assert [[piece.source for piece in group] for group in groups] == [
        [0, 1, 2],
        [3, 4, 5],
        [6],
        [7],
    ]


# --- Azure replies --------------------------------------------------------------------------


def test_analysis_keeps_graded_categories_and_skips_zero_and_unknown() -> None:
    reply = {
        "blocklistsMatch": [],
        "categoriesAnalysis": [
            {"category": "Hate", "severity": 0},
            {"category": "SelfHarm", "severity": 3},
            {"category": "Protected", "severity": 5},
        ],
    }
    (finding,) = analysis_findings(reply, 100, "piece", "d")
    assert (finding.category, finding.severity, finding.label) == (
        Category.SELF_HARM,
        3,
        "SelfHarm",
    )
    assert finding.spans == (Span(100, 105),)


def test_a_blocklist_item_not_found_literally_spans_the_piece() -> None:
    reply = {
        "categoriesAnalysis": [],
        "blocklistsMatch": [
            {"blocklistName": "regexes", "blocklistItemId": "i1", "blocklistItemText": "c.t"},
            {"blocklistName": "words", "blocklistItemId": "i2", "blocklistItemText": "CAT"},
        ],
    }
    by_list = {f.label: f for f in analysis_findings(reply, 10, "a cat", "d")}
    assert by_list["regexes"].spans == (Span(10, 15),)
    assert by_list["words"].spans == (Span(12, 15, "i2"),)
    assert all(
        f.category is Category.BLOCKLIST and f.severity == DETECTED for f in by_list.values()
    )


@pytest.mark.parametrize(
    "reply",
    [
        [],
        {},
        {"categoriesAnalysis": {}},
        {"categoriesAnalysis": [{"severity": 2}]},
        {"categoriesAnalysis": [{"category": "Hate", "severity": "2"}]},
        {"categoriesAnalysis": [{"category": "Hate", "severity": True}]},
        {"categoriesAnalysis": [{"category": "Hate", "severity": 8}]},
        {"categoriesAnalysis": [], "blocklistsMatch": {}},
        {"categoriesAnalysis": [], "blocklistsMatch": [{"blocklistName": "x"}]},
    ],
)
def test_malformed_analysis_replies_are_refused(reply: Any) -> None:
    with pytest.raises(Malformed):
        analysis_findings(reply, 0, "text", "d")


def test_shield_answers_in_order() -> None:
    reply = {
        "userPromptAnalysis": {"attackDetected": True},
        "documentsAnalysis": [{"attackDetected": False}, {"attackDetected": True}],
    }
    assert shield_answers(reply, prompt_sent=True, documents=2) == (True, [False, True])
    assert shield_answers({"documentsAnalysis": []}, prompt_sent=False, documents=0) == (False, [])
    assert shield_answers({"userPromptAnalysis": None}, prompt_sent=False, documents=0) == (
        False,
        [],
    )


@pytest.mark.parametrize(
    ("reply", "prompt_sent", "documents"),
    [
        ({"documentsAnalysis": []}, True, 0),
        ({"userPromptAnalysis": {"attackDetected": "yes"}}, True, 0),
        ({"userPromptAnalysis": {"attackDetected": False}}, True, 1),
        ({"documentsAnalysis": [{"attackDetected": False}]}, False, 2),
        ({"documentsAnalysis": [{}]}, False, 1),
    ],
)
def test_malformed_shield_replies_are_refused(
    reply: Any, prompt_sent: bool, documents: int
) -> None:
    with pytest.raises(Malformed):
        shield_answers(reply, prompt_sent=prompt_sent, documents=documents)


# --- Llama Guard ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("safe", (False, ())),
        ("\n\nsafe\n", (False, ())),
        ("unsafe\nS1,S10", (True, ("S1", "S10"))),
        (" unsafe \n s01 ; s10 ", (True, ("S1", "S10"))),
        ("UNSAFE\nS14", (True, ("S14",))),
        ("unsafe", (True, ())),
    ],
)
def test_answers_are_read_leniently(answer: str, expected: tuple[bool, tuple[str, ...]]) -> None:
    assert parse_answer(answer) == expected


@pytest.mark.parametrize(
    "answer", ["", "safety", "safe\nS1", "unsafe\nS1 and more", "The answer is safe", "S1"]
)
def test_unreadable_answers_are_refused(answer: str) -> None:
    with pytest.raises(Unreadable):
        parse_answer(answer)


def test_codes_without_a_category_are_labelled_custom_findings() -> None:
    mapping = {**DEFAULT_GUARD_CATEGORIES, "S5": GuardCategory(severity=3)}
    span = Span(0, 4)
    result = findings(["S11", "S5", "S8"], mapping, span, "g")
    assert [(f.category, f.severity, f.label) for f in result] == [
        (Category.SELF_HARM, 6, "S11"),
        (Category.BLOCKLIST, 3, "S5"),
        (Category.BLOCKLIST, DETECTED, "S8"),
    ]
    assert all(f.spans == (span,) and f.detector == "g" for f in result)


def test_a_lone_reply_gets_an_empty_user_turn() -> None:
    assert conversation("reply", "assistant", (), 6) == [
        {"role": "user", "content": ""},
        {"role": "assistant", "content": "reply"},
    ]


def test_runs_of_one_role_are_joined_and_context_can_be_off() -> None:
    context = [
        {"role": "user", "content": "a"},
        {"role": "user", "content": "b"},
        {"role": "assistant", "content": "c"},
    ]
    assert conversation("d", "user", context, 6) == [
        {"role": "user", "content": "a\n\nb"},
        {"role": "assistant", "content": "c"},
        {"role": "user", "content": "d"},
    ]
    assert conversation("d", "user", context, 0) == [{"role": "user", "content": "d"}]


# --- headers and Retry-After ----------------------------------------------------------------


async def test_static_headers_for_each_fixed_credential() -> None:
    key = SubscriptionKeyAuth(type="key", key=SECRET)
    api_key = ApiKeyAuth(type="api-key", key=SECRET)
    bearer = BearerAuth(type="bearer", token=SECRET)
    sources = [static_headers(auth) for auth in (key, api_key, bearer, NoAuth())]
    assert [await source.headers() for source in sources if source is not None] == [
        {"Ocp-Apim-Subscription-Key": SECRET},
        {"api-key": SECRET},
        {"Authorization": f"Bearer {SECRET}"},
        {},
    ]
    assert all(SECRET not in repr(source) for source in sources)
    assert static_headers(EntraAuth(type="entra")) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        (" 0.5 ", 0.5),
        ("-3", 0.0),
        ("Tue, 14 Nov 2023 22:13:30 GMT", 10.0),
        ("soon", None),
        ("nan", None),
    ],
)
def test_retry_after_in_seconds_or_as_a_date(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, now_wall=1_700_000_000.0) == expected
