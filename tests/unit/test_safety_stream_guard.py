"""The hold-back window of streamed output checks: what may go out, and when a stream is cut."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluicegate.safety.stream_guard import StreamGuard
from sluicegate.safety.verdict import Category, Finding, Span, Verdict

BAD = re.compile(r"forbidden phrase")
MAIL = re.compile(r"[a-z]+@[a-z]+\.io")


def detect(text: str) -> Verdict:
    """Flags 'forbidden phrase' (a block) and e-mail addresses (redacted)."""
    findings = [
        Finding(Category.VIOLENCE, 6, spans=(Span(m.start(), m.end()),), label="phrase")
        for m in BAD.finditer(text)
    ]
    findings += [
        Finding(Category.PII, 6, spans=(Span(m.start(), m.end(), "email"),), label="email")
        for m in MAIL.finditer(text)
    ]
    return Verdict(tuple(findings))


def guard(hold_back: int = 32, **options: object) -> StreamGuard:
    return StreamGuard(
        detect,
        hold_back=hold_back,
        blocks=lambda f: f.category is Category.VIOLENCE,
        redacts=lambda f: f.category is Category.PII,
        **options,  # type: ignore[arg-type]
    )


def test_text_is_released_only_behind_the_hold_back_window() -> None:
    g = guard(hold_back=10)
    assert g.feed("a" * 8).release_to == 0  # not yet scanned (scans every 5 chars)
    step = g.feed("b" * 12)
    assert step.release_to == 10
    assert g.finish().release_to == 20


def test_a_phrase_split_across_pieces_is_caught_before_its_start_is_released() -> None:
    g = guard(hold_back=32)
    released = 0
    text = "Here is some harmless text and then a forbid" + "den phrase appears."
    for piece in (text[i : i + 3] for i in range(0, len(text), 3)):
        step = g.feed(piece)
        if step.blocked is not None:
            break
        released = step.release_to
    assert step.blocked is not None
    assert step.blocked.category is Category.VIOLENCE
    assert released <= text.index("forbidden")


def test_once_blocked_nothing_more_is_released() -> None:
    g = guard(hold_back=0)
    step = g.feed("forbidden phrase")
    assert step.blocked is not None
    assert g.feed("more and more text " * 10).release_to == step.release_to
    assert g.finish().blocked is step.blocked


def test_a_clean_stream_releases_everything_at_the_end() -> None:
    g = guard(hold_back=64)
    for word in ["the", "river", "keeps", "its", "course"]:
        assert g.feed(word + " ").blocked is None
    assert g.finish().release_to == len("the river keeps its course ")
    assert g.findings == ()


def test_redactions_are_found_whole_and_never_released_into() -> None:
    g = guard(hold_back=4, word_safe=True)
    released = []
    for piece in ("write to ", "bob@", "example", ".io", " today please"):
        released.append(g.feed(piece).release_to)
    g.finish()
    assert g.redactions == (Span(9, 23, "email"),)
    assert all(not 9 < r < 23 for r in released)


def test_findings_seen_by_overlapping_scans_are_counted_once() -> None:
    g = guard(hold_back=0)
    for piece in ("mail ann@x", "y.io and ", "more text ", "to keep ", "scanning"):
        g.feed(piece)
    g.finish()
    assert [f.label for f in g.findings] == ["email"]


def test_negative_windows_are_refused() -> None:
    with pytest.raises(ValueError, match="hold_back"):
        guard(hold_back=-1)


@given(st.lists(st.text(max_size=12), max_size=40), st.integers(0, 40))
def test_release_never_goes_backwards_or_past_the_text(pieces: list[str], hold: int) -> None:
    g = guard(hold_back=hold)
    last = 0
    total = 0
    for piece in pieces:
        total += len(piece)
        step = g.feed(piece)
        assert last <= step.release_to <= total
        last = step.release_to
    final = g.finish()
    assert final.release_to >= last
    if final.blocked is None:
        assert final.release_to == total
