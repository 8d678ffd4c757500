"""Turning per-limit window counts into an `Admission` or a `Denial`, shared by every store.

A store (in Python or in a Lua script) measures each limit's window atomically and decides
whether to charge; what it hands back is a `LimitState` per limit. Choosing which limit to name
in a denial and what to put in the `x-ratelimit-*` headers happens here, once, so the memory
and Redis stores cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sluicegate.core.quota import (
    Admission,
    Denial,
    Headroom,
    LimitKind,
    QuotaLimit,
    Reservation,
    Scope,
)

US = 1_000_000
"""Stores count time in whole microseconds, so window arithmetic is exact."""

NEVER = -1
"""A wait meaning the request can never fit this limit."""

SCAN_LIMIT = 4096
"""At most this many charges are walked to find when a denied request fits. Denials usually
need the oldest few to leave; when more than this must go (one huge request against a window
of many small ones), the wait given is until the 4096th leaves: a lower bound, so the client
comes back early and is told again, and a denial never costs more than a bounded walk."""

LimitKey = tuple[Scope, str]


def to_window_us(window_s: float) -> int:
    if not window_s > 0:
        raise ValueError(f"a quota window must be a positive number of seconds, not {window_s}")
    return max(1, round(window_s * US))


@dataclass(frozen=True, slots=True)
class LimitState:
    """One limit's window just before the charge, and how long until the request would fit.

    A wait is None when the request fits now, `NEVER` when it never can, else microseconds.
    """

    used_tokens: int
    used_requests: int
    token_wait_us: int | None = None
    request_wait_us: int | None = None

    @property
    def over(self) -> bool:
        return self.token_wait_us is not None or self.request_wait_us is not None


def applicable(limits: Sequence[QuotaLimit]) -> tuple[QuotaLimit, ...]:
    """The active limits, one per subject: duplicates merge into the tightest of each kind.

    A subject must appear once so one request is charged once on its counter.
    """
    merged: dict[LimitKey, QuotaLimit] = {}
    for limit in limits:
        if not limit.active:
            continue
        key = (limit.scope, limit.subject)
        seen = merged.get(key)
        if seen is None:
            merged[key] = limit
        else:
            merged[key] = QuotaLimit(
                limit.scope,
                limit.subject,
                _tighter(seen.tpm, limit.tpm),
                _tighter(seen.rpm, limit.rpm),
            )
    return tuple(merged.values())


def _tighter(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def headroom(
    limits: Sequence[QuotaLimit], states: Sequence[LimitState], tokens: int, charged: bool
) -> Headroom:
    """The least remaining of each kind over all limits (after the charge when `charged`)."""
    best_tokens: tuple[int, int] | None = None
    best_requests: tuple[int, int] | None = None
    extra_tokens, extra_requests = (tokens, 1) if charged else (0, 0)
    for limit, state in zip(limits, states, strict=True):
        if limit.tpm is not None:
            left = max(0, limit.tpm - state.used_tokens - extra_tokens)
            if best_tokens is None or left < best_tokens[1]:
                best_tokens = (limit.tpm, left)
        if limit.rpm is not None:
            left = max(0, limit.rpm - state.used_requests - extra_requests)
            if best_requests is None or left < best_requests[1]:
                best_requests = (limit.rpm, left)
    return Headroom(
        limit_tokens=None if best_tokens is None else best_tokens[0],
        remaining_tokens=None if best_tokens is None else best_tokens[1],
        limit_requests=None if best_requests is None else best_requests[0],
        remaining_requests=None if best_requests is None else best_requests[1],
    )


def binding_denial(
    limits: Sequence[QuotaLimit], states: Sequence[LimitState], tokens: int, window_us: int
) -> Denial | None:
    """The limit that frees last (never-fitting first; the earliest listed on a tie), if any.

    The request fits only when every limit has room, so the longest wait is the retry time.
    """
    best: tuple[int, QuotaLimit, LimitKind, LimitState] | None = None
    for limit, state in zip(limits, states, strict=True):
        for kind, wait in (
            (LimitKind.TOKENS, state.token_wait_us),
            (LimitKind.REQUESTS, state.request_wait_us),
        ):
            if wait is None:
                continue
            rank = _rank(wait)
            if best is None or rank > best[0]:
                best = (rank, limit, kind, state)
    if best is None:
        return None
    rank, limit, kind, state = best
    tokens_kind = kind is LimitKind.TOKENS
    value = limit.tpm if tokens_kind else limit.rpm
    assert value is not None  # a wait exists only for a limit of that kind
    return Denial(
        limit=limit,
        kind=kind,
        limit_value=value,
        used=state.used_tokens if tokens_kind else state.used_requests,
        requested=tokens if tokens_kind else 1,
        retry_after_s=None if rank == _NEVER_RANK else rank / US,
        window_s=window_us / US,
        headroom=headroom(limits, states, tokens, charged=False),
    )


_NEVER_RANK = 1 << 62


def _rank(wait_us: int) -> int:
    return _NEVER_RANK if wait_us == NEVER else max(0, wait_us)


def decision(
    limits: tuple[QuotaLimit, ...],
    states: Sequence[LimitState],
    tokens: int,
    window_us: int,
    reservation: Reservation | None,
) -> Admission | Denial:
    """An `Admission` when the store charged (`reservation` given), else the `Denial`."""
    denial = binding_denial(limits, states, tokens, window_us)
    if reservation is None:
        if denial is None:
            raise RuntimeError("a quota store refused a request that fits every limit")
        return denial
    return Admission(reservation, headroom(limits, states, tokens, charged=True), over=denial)
