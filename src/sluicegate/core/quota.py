"""Token and request quotas: the limits, the decisions, and the `QuotaStore` protocol.

Quotas **reserve, then reconcile**: before a call the quota policy reserves `estimated prompt
tokens + max_tokens` on every limit that applies (key, team, model, in any combination) in one
atomic step, so N gateway replicas enforce one limit, not N; after the call it reconciles the
reservation to the real usage, or cancels it when no backend was reached.

"Per minute" means any 60-second window: stores keep a sliding log of charges (each charge at
the instant it was made), so no two windows straddling a minute boundary can admit twice the
limit, and a reconciled charge leaves the window exactly when its reservation would have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sluicegate.core.errors import RateLimited

WINDOW_S = 60.0
"""The quota window: TPM and RPM limits count charges made in the last 60 seconds."""


class Scope(StrEnum):
    """Whom a limit belongs to; also keeps counters of a key and a team of one name apart."""

    KEY = "key"
    TEAM = "team"
    MODEL = "model"


class LimitKind(StrEnum):
    TOKENS = "tokens"
    REQUESTS = "requests"


class FailureMode(StrEnum):
    """What a shared quota store does while its server is unreachable."""

    OPEN = "fail_open"
    """Admit without counting (availability first); logged once per outage."""
    CLOSED = "fail_closed"
    """Refuse with 503 `ServiceUnavailable` (limits first)."""


@dataclass(frozen=True, slots=True)
class QuotaLimit:
    """A TPM and/or RPM limit on one subject; None means no limit of that kind.

    Counters are kept per `(scope, subject)`, and the limit values are applied when a request
    is checked, so changing a limit in config takes effect at once without losing the window.
    A limit per key *and* model is a subject such as `"<key id>/<model>"` in `Scope.MODEL`.
    """

    scope: Scope
    subject: str
    tpm: int | None = None
    rpm: int | None = None

    def __post_init__(self) -> None:
        if not self.subject:
            raise ValueError(f"a {self.scope} quota limit needs a non-empty subject")
        for kind, value in (("tpm", self.tpm), ("rpm", self.rpm)):
            if value is not None and (isinstance(value, bool) or value < 0):
                raise ValueError(f"{kind} of {self.label} must be a whole number >= 0, not {value}")

    @property
    def label(self) -> str:
        return f"{self.scope.value} '{self.subject}'"

    @property
    def active(self) -> bool:
        return self.tpm is not None or self.rpm is not None


@dataclass(frozen=True, slots=True)
class Headroom:
    """What the tightest applicable limits have left, for the `x-ratelimit-*` headers.

    Each pair comes from the limit with the least remaining of its kind; None when no limit of
    that kind applies.
    """

    limit_tokens: int | None = None
    remaining_tokens: int | None = None
    limit_requests: int | None = None
    remaining_requests: int | None = None

    def headers(self) -> dict[str, str]:
        pairs = (
            ("x-ratelimit-limit-tokens", self.limit_tokens),
            ("x-ratelimit-remaining-tokens", self.remaining_tokens),
            ("x-ratelimit-limit-requests", self.limit_requests),
            ("x-ratelimit-remaining-requests", self.remaining_requests),
        )
        return {name: str(value) for name, value in pairs if value is not None}


@dataclass(frozen=True, slots=True)
class Reservation:
    """The handle of one admitted charge; pass it to `reconcile` or `cancel` exactly as given.

    `charged_at` is in the store's own time base (seconds); only compare it with other values
    from the same store. `offline` marks a reservation admitted while a shared store was
    unreachable (fail-open): nothing was counted, so there is nothing to adjust.
    """

    id: str
    limits: tuple[QuotaLimit, ...]
    tokens: int
    charged_at: float
    offline: bool = False


@dataclass(frozen=True, slots=True)
class Denial:
    """Why a request was refused: the binding limit and when the request would fit."""

    limit: QuotaLimit
    kind: LimitKind
    limit_value: int
    used: int
    """What the window held of this kind when the request was checked."""
    requested: int
    retry_after_s: float | None
    """Seconds until enough charge leaves the window for this request to fit on every limit;
    None when it never can (more tokens than the limit, or a limit of 0)."""
    window_s: float
    headroom: Headroom

    def message(self) -> str:
        unit = "tokens" if self.kind is LimitKind.TOKENS else "requests"
        window = f"{self.window_s:g} s"
        head = (
            f"Rate limit of {self.limit.label} reached on {unit}: limit {self.limit_value} "
            f"per {window}, used {self.used}, requested {self.requested}."
        )
        if self.retry_after_s is None:
            return (
                f"{head} This request can never fit: reduce max_tokens or the prompt, or ask "
                "for a higher limit."
            )
        return f"{head} Retry after {self.retry_after_s:.3f} s."

    def error(self) -> RateLimited:
        """The 429 to answer with: Retry-After, retry-after-ms and the `x-ratelimit-*` headers."""
        retry = self.window_s if self.retry_after_s is None else self.retry_after_s
        error = RateLimited(self.message(), retry_after_s=retry)
        error.headers.update(self.headroom.headers())
        return error


@dataclass(frozen=True, slots=True)
class Admission:
    """A request that may go ahead; its charge is already counted."""

    reservation: Reservation
    headroom: Headroom
    over: Denial | None = None
    """Set only when `reserve(..., enforce=False)` charged a request a limit would have
    refused: what shadow mode logs instead of answering 429."""


@dataclass(frozen=True, slots=True)
class WindowUsage:
    """What one subject's window holds now."""

    tokens: int
    requests: int


@dataclass(frozen=True, slots=True)
class Slot:
    """One held unit of a concurrency cap; give it back with `release`."""

    subject: str
    id: str
    offline: bool = False


class QuotaStore(Protocol):
    """Sliding-window token and request counters plus concurrency caps, atomic per call.

    Implementations: `stores.quota_memory.MemoryQuotaStore` (one process) and
    `stores.quota_redis.RedisQuotaStore` (shared by every replica).
    """

    @property
    def window_s(self) -> float: ...

    async def reserve(
        self, limits: Sequence[QuotaLimit], tokens: int, *, enforce: bool = True
    ) -> Admission | Denial:
        """Charge one request and `tokens` on every limit at once, or on none.

        Admitted only when every limit has room; on denial nothing is charged and the answer
        names the binding limit (the one that frees last). With `enforce=False` the charge is
        made regardless and `Admission.over` says which limit it broke (shadow mode).
        """
        ...

    async def reconcile(self, reservation: Reservation, actual_tokens: int) -> None:
        """Set the charge to the real usage, at the instant the reservation was made.

        Lowers (refund) or raises (extra) the charge; a charge already out of the window is
        left alone. Calling it again sets the charge again; it never adds up.
        """
        ...

    async def cancel(self, reservation: Reservation) -> None:
        """Remove the charge (tokens and the request) entirely; for calls that never ran."""
        ...

    async def acquire(self, subject: str, cap: int) -> Slot | None:
        """Take one of `cap` concurrent slots of `subject`; None when all are held."""
        ...

    async def release(self, slot: Slot) -> None:
        """Give a slot back; releasing twice is harmless."""
        ...

    async def usage(self, limit: QuotaLimit) -> WindowUsage:
        """What `limit`'s subject has charged in the current window (admin views, tests)."""
        ...

    async def close(self) -> None: ...


def validate_tokens(tokens: int, what: str = "tokens") -> int:
    """Token counts are whole and never negative: a negative one would be a hidden refund."""
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0:
        raise ValueError(f"{what} must be a whole number >= 0, not {tokens!r}")
    return tokens


def validate_cap(cap: int) -> int:
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
        raise ValueError(f"a concurrency cap must be a whole number >= 0, not {cap!r}")
    return cap


def concurrency_denied(subject: str, cap: int, retry_after_s: float = 1.0) -> RateLimited:
    """The 429 for a full concurrency cap (its slots free when calls end, not on a schedule)."""
    return RateLimited(
        f"Too many concurrent requests for '{subject}': at most {cap} at a time.",
        retry_after_s=retry_after_s,
        code="concurrency_limit_exceeded",
    )
