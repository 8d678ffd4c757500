"""Cutting texts to a service's size limits, and remembering where each piece came from.

Lengths are in Unicode code points (Python's `len`), as Azure AI Content Safety counts them.
Cuts fall after a space or line break where there is one in the second half of a piece, so
words stay whole; a text without any is cut hard at the limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Piece:
    """`text` is `source_text[offset:offset + len(text)]` of input number `source`."""

    source: int
    offset: int
    text: str

    @property
    def end(self) -> int:
        return self.offset + len(self.text)


def split(text: str, limit: int) -> list[tuple[int, str]]:
    """`text` as consecutive (offset, piece) pairs of at most `limit` characters each."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    pieces: list[tuple[int, str]] = []
    start = 0
    while len(text) - start > limit:
        end = start + limit
        cut = _last_break(text, start + limit // 2, end)
        if cut > start:
            end = cut
        pieces.append((start, text[start:end]))
        start = end
    if start < len(text) or not pieces:
        pieces.append((start, text[start:]))
    return pieces


_BREAKS = (" ", "\n", "\t", "\r", "\u3000")


def _last_break(text: str, low: int, high: int) -> int:
    """The index just after the last break character in text[low:high], or -1."""
    found = max(text.rfind(mark, low, high) for mark in _BREAKS)
    return found + 1 if found >= 0 else -1


def pieces_of(texts: Sequence[str], limit: int) -> list[Piece]:
    """Every non-empty text cut to `limit`, in order; empty texts have nothing to check."""
    return [
        Piece(source, offset, chunk)
        for source, text in enumerate(texts)
        if text
        for offset, chunk in split(text, limit)
    ]


def batches(pieces: Sequence[Piece], *, max_items: int, max_total: int) -> list[list[Piece]]:
    """Consecutive groups of at most `max_items` pieces and `max_total` characters each."""
    groups: list[list[Piece]] = []
    current: list[Piece] = []
    total = 0
    for piece in pieces:
        if len(piece.text) > max_total:
            raise ValueError("a piece is longer than a whole batch may be")
        if current and (len(current) == max_items or total + len(piece.text) > max_total):
            groups.append(current)
            current, total = [], 0
        current.append(piece)
        total += len(piece.text)
    if current:
        groups.append(current)
    return groups
