"""What a remote detector's caller gets while the detector is down: its failure mode.

`fail_open` answers with an `UncheckedVerdict`: no findings, and a mark saying the text was
not checked, so the caller can annotate the request instead of calling it clean.
`fail_closed` raises `ServiceUnavailable` (503). Either way the outage is logged once when it
starts and once when it ends, not per request, and while it lasts the service is tried again
only every `probe_interval_s` (or after its Retry-After): calls in between fail at once
instead of each waiting out a timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sluicegate.config.safety_remote import FailureMode
from sluicegate.core.clock import Clock
from sluicegate.core.errors import ServiceUnavailable
from sluicegate.safety.remote.failures import RemoteDetectorError
from sluicegate.safety.verdict import Verdict

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 60.0
"""A service's Retry-After is honoured up to this long."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class UncheckedVerdict(Verdict):
    """No findings because the detector could not check the text (fail-open).

    It is falsy like a clean verdict, but it is not one: callers annotate the request (and
    must test for it before combining it with other verdicts, which drops the mark).
    """

    detector: str = ""
    reason: str = ""


def is_unchecked(verdict: Verdict) -> bool:
    return isinstance(verdict, UncheckedVerdict)


class FailureGuard:
    """Applies one detector's failure mode to its calls and tracks whether it is down."""

    __slots__ = (
        "_clock",
        "_detector",
        "_down_since",
        "_last_error",
        "_mode",
        "_probe_at",
        "_probe_interval_s",
        "_service",
    )

    def __init__(
        self,
        detector: str,
        service: str,
        mode: FailureMode,
        clock: Clock,
        *,
        probe_interval_s: float,
    ) -> None:
        """`service` names the service in messages ("content safety service")."""
        if probe_interval_s < 0:
            raise ValueError(f"probe_interval_s must be 0 or more, not {probe_interval_s}")
        self._detector = detector
        self._service = service
        self._mode: FailureMode = mode
        self._clock = clock
        self._probe_interval_s = probe_interval_s
        self._down_since: float | None = None
        self._probe_at = 0.0
        self._last_error: RemoteDetectorError | None = None

    @property
    def down(self) -> bool:
        return self._down_since is not None

    async def run(
        self,
        call: Callable[[], Awaitable[T]],
        unchecked: Callable[[UncheckedVerdict], T],
    ) -> T:
        """The call's result; on failure, `unchecked(verdict)` or ServiceUnavailable."""
        if self._down_since is not None and self._clock.now() < self._probe_at:
            assert self._last_error is not None
            return self._fail(self._last_error, unchecked)
        try:
            result = await call()
        except RemoteDetectorError as exc:
            if exc.outage:
                self._failed(exc)
            else:
                log.warning(
                    "%s could not check a request (%s); %s",
                    self._service,
                    exc,
                    self._consequence(),
                )
            return self._fail(exc, unchecked)
        if self._down_since is not None:
            log.warning(
                "%s answering again after %.1f s",
                self._service,
                self._clock.now() - self._down_since,
            )
            self._down_since = None
            self._last_error = None
        return result

    def _failed(self, exc: RemoteDetectorError) -> None:
        now = self._clock.now()
        wait = self._probe_interval_s
        if exc.retry_after_s is not None:
            wait = max(wait, min(exc.retry_after_s, MAX_BACKOFF_SECONDS))
        self._probe_at = now + wait
        self._last_error = exc
        if self._down_since is None:
            self._down_since = now
            log.warning(
                "%s unavailable (%s); %s until it answers again (%s)",
                self._service,
                exc,
                self._consequence(),
                self._mode,
            )

    def _consequence(self) -> str:
        if self._mode == "fail_open":
            return "letting text through unchecked"
        return "refusing requests"

    def _fail(self, exc: RemoteDetectorError, unchecked: Callable[[UncheckedVerdict], T]) -> T:
        if self._mode == "fail_open":
            return unchecked(UncheckedVerdict(detector=self._detector, reason=str(exc)))
        if not exc.outage:
            raise ServiceUnavailable(
                f"The {self._service} could not check this request ({exc}); it is refused."
            ) from exc
        headers: dict[str, str] = {}
        if self._down_since is not None:
            remaining = self._probe_at - self._clock.now()
            if remaining > 0:
                headers["Retry-After"] = str(max(1, int(remaining + 0.999)))
        raise ServiceUnavailable(
            f"The {self._service} is unavailable ({exc}); requests are refused until it is back.",
            headers=headers,
        ) from exc
