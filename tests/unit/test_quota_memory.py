"""Property tests of the in-process quota arithmetic against a brute-force model.

The model keeps every charge ever made and recomputes each window from scratch; the book must
agree with it on every decision, wait and count, whatever the clock does between operations.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sluicegate.core.clock import ManualClock
from sluicegate.core.quota import Admission, Denial, LimitKind, QuotaLimit, Reservation, Scope
from sluicegate.stores.quota_decision import SCAN_LIMIT, applicable
from sluicegate.stores.quota_memory import MemoryQuotaStore, QuotaBook

W = 60_000_000  # the window, in microseconds
START = 1_000_000_000

LIMITS = (
    QuotaLimit(Scope.KEY, "a", tpm=1000, rpm=5),
    QuotaLimit(Scope.KEY, "a", tpm=600),  # the same subject, tighter on tokens
    QuotaLimit(Scope.TEAM, "a", tpm=2500),  # same name, other scope: other counters
    QuotaLimit(Scope.MODEL, "m", rpm=3),
    QuotaLimit(Scope.KEY, "zero", tpm=0, rpm=0),
    QuotaLimit(Scope.KEY, "free"),  # no limit at all
)
SUBJECTS = sorted({(limit.scope, limit.subject) for limit in LIMITS})

steps = st.one_of(
    st.integers(0, 10),
    st.integers(0, 2_000_000),
    st.integers(W - 5, W + 5),
    st.integers(0, 3 * W),
)


@dataclass
class Charge:
    at: int
    rid: str
    subjects: frozenset[tuple[Scope, str]]
    amount: int
    alive: bool = True


class Model:
    """Every charge, windows recomputed by brute force."""

    def __init__(self) -> None:
        self.charges: list[Charge] = []

    def inside(self, subject: tuple[Scope, str], now: int) -> list[Charge]:
        return [c for c in self.charges if c.alive and subject in c.subjects and c.at > now - W]

    def usage(self, subject: tuple[Scope, str], now: int) -> tuple[int, int]:
        found = self.inside(subject, now)
        return sum(c.amount for c in found), len(found)

    def fits(self, limits: tuple[QuotaLimit, ...], tokens: int, now: int) -> bool:
        for limit in limits:
            used, count = self.usage((limit.scope, limit.subject), now)
            if limit.tpm is not None and used + tokens > limit.tpm:
                return False
            if limit.rpm is not None and count + 1 > limit.rpm:
                return False
        return True

    def wait(self, limit: QuotaLimit, tokens: int, now: int) -> int | None:
        """Microseconds until `tokens` fit `limit` alone; -1 never; None fits now."""
        found = sorted(self.inside((limit.scope, limit.subject), now), key=lambda c: c.at)
        used, count = sum(c.amount for c in found), len(found)
        waits = []
        if limit.tpm is not None and used + tokens > limit.tpm:
            if tokens > limit.tpm:
                return -1
            freed = 0
            for charge in found:
                freed += charge.amount
                if used - freed + tokens <= limit.tpm:
                    waits.append(charge.at + W - now)
                    break
        if limit.rpm is not None and count + 1 > limit.rpm:
            if limit.rpm == 0:
                return -1
            waits.append(found[count + 1 - limit.rpm - 1].at + W - now)
        return max(waits) if waits else None


class QuotaMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.book = QuotaBook(W)
        self.model = Model()
        self.now = START
        self.reservations: list[Reservation] = []

    @rule(step=steps)
    def advance(self, step: int) -> None:
        self.now += step

    @rule(
        picks=st.lists(st.sampled_from(LIMITS), max_size=4),
        tokens=st.integers(0, 1200),
        enforce=st.booleans(),
    )
    def reserve(self, picks: list[QuotaLimit], tokens: int, enforce: bool) -> None:
        active = applicable(picks)
        fits = self.model.fits(active, tokens, self.now)
        waits = {limit: self.model.wait(limit, tokens, self.now) for limit in active}
        result = self.book.reserve(picks, tokens, self.now, enforce)
        if not fits and enforce:
            assert isinstance(result, Denial)
            self._check_denial(result, waits, tokens)
            return
        assert isinstance(result, Admission)
        assert (result.over is None) == fits
        if result.over is not None:
            self._check_denial(result.over, waits, tokens)
        self._check_headroom(result, active, tokens)
        subjects = frozenset((limit.scope, limit.subject) for limit in active)
        self.model.charges.append(Charge(self.now, result.reservation.id, subjects, tokens))
        self.reservations.append(result.reservation)

    def _check_denial(
        self, denial: Denial, waits: dict[QuotaLimit, int | None], tokens: int
    ) -> None:
        known = [wait for wait in waits.values() if wait is not None]
        if -1 in known:
            assert denial.retry_after_s is None
            assert waits[denial.limit] == -1
        else:
            longest = max(known)
            assert denial.retry_after_s is not None
            assert round(denial.retry_after_s * 1_000_000) == longest
            assert waits[denial.limit] == longest
            later = self.now + longest
            assert self.model.fits(tuple(waits), tokens, later)
            assert not self.model.fits(tuple(waits), tokens, later - 1)
        limit = denial.limit
        used, count = self.model.usage((limit.scope, limit.subject), self.now)
        if denial.kind is LimitKind.TOKENS:
            assert (denial.limit_value, denial.used, denial.requested) == (limit.tpm, used, tokens)
        else:
            assert (denial.limit_value, denial.used, denial.requested) == (limit.rpm, count, 1)

    def _check_headroom(
        self, admission: Admission, active: tuple[QuotaLimit, ...], tokens: int
    ) -> None:
        token_left = [
            max(0, limit.tpm - self.model.usage((limit.scope, limit.subject), self.now)[0] - tokens)
            for limit in active
            if limit.tpm is not None
        ]
        request_left = [
            max(0, limit.rpm - self.model.usage((limit.scope, limit.subject), self.now)[1] - 1)
            for limit in active
            if limit.rpm is not None
        ]
        assert admission.headroom.remaining_tokens == (min(token_left) if token_left else None)
        assert admission.headroom.remaining_requests == (
            min(request_left) if request_left else None
        )

    @precondition(lambda self: self.reservations)
    @rule(data=st.data(), actual=st.integers(0, 1500))
    def reconcile(self, data: st.DataObject, actual: int) -> None:
        reservation = data.draw(st.sampled_from(self.reservations))
        before, held = self._totals(), self._held(reservation)
        self.book.reconcile(reservation, actual, self.now)
        for charge in self.model.charges:
            if charge.rid == reservation.id and charge.alive and charge.at > self.now - W:
                charge.amount = actual
        for subject, (tokens, _) in self._totals().items():
            # A refund never takes back more than this reservation still holds.
            assert before[subject][0] - tokens <= held

    @precondition(lambda self: self.reservations)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        reservation = data.draw(st.sampled_from(self.reservations))
        before, held = self._totals(), self._held(reservation)
        self.book.cancel(reservation, self.now)
        for charge in self.model.charges:
            if charge.rid == reservation.id:
                charge.alive = False
        for subject, (tokens, requests) in self._totals().items():
            assert before[subject][0] - tokens <= held
            assert before[subject][1] - requests <= 1

    def _held(self, reservation: Reservation) -> int:
        """What the reservation still holds in the window (its charge, reconciled or not)."""
        return sum(
            charge.amount
            for charge in self.model.charges
            if charge.rid == reservation.id and charge.alive and charge.at > self.now - W
        )

    def _totals(self) -> dict[tuple[Scope, str], tuple[int, int]]:
        totals = {}
        for scope, subject in SUBJECTS:
            usage = self.book.usage(QuotaLimit(scope, subject, tpm=0), self.now)
            totals[(scope, subject)] = (usage.tokens, usage.requests)
        return totals

    @invariant()
    def counts_match_the_model_and_are_never_negative(self) -> None:
        for subject, (tokens, requests) in self._totals().items():
            assert tokens >= 0
            assert requests >= 0
            assert (tokens, requests) == self.model.usage(subject, self.now)

    @invariant()
    def idle_subjects_are_forgotten(self) -> None:
        assert self.book.subjects() <= len(SUBJECTS)


QuotaMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestQuotaBook = QuotaMachine.TestCase


@settings(max_examples=150, deadline=None)
@given(
    ops=st.lists(
        st.tuples(steps, st.integers(0, 400), st.integers(0, 400), st.booleans()),
        max_size=60,
    )
)
def test_no_window_ever_holds_more_than_the_limit(
    ops: list[tuple[int, int, int, bool]],
) -> None:
    """With refunds only (actual <= estimate), admitted tokens in every window stay <= limit."""
    limit = QuotaLimit(Scope.KEY, "k", tpm=1000, rpm=7)
    book = QuotaBook(W)
    now = START
    kept: list[tuple[int, int]] = []
    for step, estimate, refund, cancel in ops:
        now += step
        result = book.reserve([limit], estimate, now)
        if isinstance(result, Denial):
            continue
        actual = max(0, estimate - refund)
        if cancel:
            book.cancel(result.reservation, now)
            continue
        book.reconcile(result.reservation, actual, now)
        kept.append((now, actual))
    for end, _ in kept:
        inside = [amount for at, amount in kept if end - W < at <= end]
        assert sum(inside) <= 1000
        assert len(inside) <= 7


@settings(max_examples=100, deadline=None)
@given(
    steps_s=st.lists(st.integers(0, 90_000_000).map(lambda us: us / 1e6), max_size=20),
    sizes=st.lists(st.integers(1, 500), min_size=1, max_size=20),
)
def test_waiting_the_retry_after_on_the_clock_is_enough(
    steps_s: list[float], sizes: list[int]
) -> None:
    """Through the async store and a float clock: after `retry_after_s`, the request fits."""

    async def scenario() -> None:
        clock = ManualClock()
        store = MemoryQuotaStore(clock=clock)
        limit = QuotaLimit(Scope.KEY, "k", tpm=1000, rpm=4)
        for index, size in enumerate(sizes):
            if index < len(steps_s):
                clock.advance(steps_s[index])
            result = await store.reserve([limit], size)
            if isinstance(result, Denial):
                assert result.retry_after_s is not None
                assert 0 < result.retry_after_s <= 60
                clock.advance(result.retry_after_s)
                assert isinstance(await store.reserve([limit], size), Admission)

    asyncio.run(scenario())


@pytest.mark.parametrize("window", [0, -1.0, float("nan")])
def test_bad_windows_are_refused(window: float) -> None:
    with pytest.raises(ValueError, match="positive number of seconds"):
        MemoryQuotaStore(window_s=window)


def test_a_denial_walks_at_most_scan_limit_charges() -> None:
    book = QuotaBook(W)
    limit = QuotaLimit(Scope.KEY, "k", tpm=SCAN_LIMIT + 100)
    for offset in range(SCAN_LIMIT + 100):
        assert isinstance(book.reserve([limit], 1, START + offset), Admission)
    now = START + SCAN_LIMIT + 100
    denial = book.reserve([limit], SCAN_LIMIT + 100, now)
    assert isinstance(denial, Denial)
    # Exact would be the last charge's exit; the walk stops at the SCAN_LIMIT-th: a lower bound.
    assert denial.retry_after_s == (START + SCAN_LIMIT - 1 + W - now) / 1_000_000
    small = book.reserve([limit], 3, now)
    assert isinstance(small, Denial)
    assert small.retry_after_s == (START + 2 + W - now) / 1_000_000
