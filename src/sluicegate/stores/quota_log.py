"""A sliding log of charges for one quota subject, in whole microseconds.

Why a log and not counters: a fixed per-minute counter admits up to twice the limit across a
minute boundary, and sub-bucket approximations either over-admit or under-fill by the size of a
bucket. A log of `(instant, reservation id) → tokens` is exact for *every* window `(t - W, t]`:
a charge is admitted only if the charges still inside plus itself fit, so no window ever holds
more than the limit. Its cost is one entry per admitted request per subject (bounded by the RPM
actually admitted in one window) and amortized O(1) work per operation, because each entry is
appended once and expired once. Reconciling rewrites an entry's amount in place, so a refund (or
an extra) leaves the window at the instant its reservation does.
"""

from __future__ import annotations

from collections import deque

from sluicegate.stores.quota_decision import NEVER, SCAN_LIMIT, LimitState


class SlidingLog:
    """Charges of one subject still inside the window; `tokens` and `requests` are their sums.

    Cancelled entries are dropped from `amounts` at once and from the time-ordered deque when
    they would have expired, so cancel is O(1).
    """

    __slots__ = ("_amounts", "_entries", "tokens")

    def __init__(self) -> None:
        self._entries: deque[tuple[int, str]] = deque()
        self._amounts: dict[str, int] = {}
        self.tokens = 0

    @property
    def requests(self) -> int:
        return len(self._amounts)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def expire(self, horizon_us: int) -> None:
        """Forget every charge made at or before `horizon_us` (now minus the window)."""
        entries = self._entries
        while entries and entries[0][0] <= horizon_us:
            amount = self._amounts.pop(entries.popleft()[1], None)
            if amount is not None:
                self.tokens -= amount

    def charge(self, at_us: int, rid: str, tokens: int) -> None:
        self._entries.append((at_us, rid))
        self._amounts[rid] = tokens
        self.tokens += tokens

    def set(self, rid: str, tokens: int) -> None:
        """Make an entry's amount `tokens`; a charge no longer in the window stays gone."""
        old = self._amounts.get(rid)
        if old is not None:
            self._amounts[rid] = tokens
            self.tokens += tokens - old

    def remove(self, rid: str) -> None:
        amount = self._amounts.pop(rid, None)
        if amount is not None:
            self.tokens -= amount

    def state(
        self, tpm: int | None, rpm: int | None, tokens: int, now_us: int, window_us: int
    ) -> LimitState:
        """Counts and waits for one more request of `tokens` (call after `expire`)."""
        token_wait = request_wait = None
        if tpm is not None and self.tokens + tokens > tpm:
            token_wait = (
                NEVER
                if tokens > tpm
                else self._wait(self.tokens + tokens - tpm, False, now_us, window_us)
            )
        if rpm is not None and self.requests + 1 > rpm:
            request_wait = (
                NEVER if rpm == 0 else self._wait(self.requests + 1 - rpm, True, now_us, window_us)
            )
        return LimitState(self.tokens, self.requests, token_wait, request_wait)

    def _wait(self, need: int, count_requests: bool, now_us: int, window_us: int) -> int:
        """Microseconds until the oldest charges worth `need` tokens (or requests) expire."""
        freed = walked = 0
        amounts = self._amounts
        for at_us, rid in self._entries:
            amount = amounts.get(rid)
            if amount is None:
                continue
            freed += 1 if count_requests else amount
            walked += 1
            if freed >= need or walked >= SCAN_LIMIT:
                return at_us + window_us - now_us
        return window_us  # unreachable while the sums are consistent; the safe answer
