"""Per-request state, created once by the server and threaded through policies and backends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from sluicegate.core.capture import Capture
from sluicegate.core.errors import AttemptSummary
from sluicegate.core.identity import Principal, TeamRecord
from sluicegate.wire.endpoints import Endpoint

FinishHook = Callable[["Exchange"], Awaitable[None]]


@dataclass(slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    """Prompt tokens the provider served from its prompt cache (priced lower); part of
    prompt_tokens."""


@dataclass(frozen=True, slots=True)
class ShieldEvent:
    """What a safety detector found in one request and what was done about it; never the text.

    `direction` is `input`, `document` or `output`; `action` is what the profile did with the
    finding (`block`, `redact`, `annotate`, `shadow`); `category`, `label`, `severity` and
    `detector` describe the finding."""

    direction: str
    category: str
    label: str
    severity: int
    action: str
    detector: str


@dataclass(slots=True)
class Exchange:
    """One request's state. Never shared between requests.

    `raw` is the client's body; it is forwarded unchanged unless a policy calls `rewrite`.
    """

    request_id: str
    endpoint: Endpoint
    raw: bytes
    body: dict[str, Any]
    model: str
    stream: bool
    include_usage: bool
    client_headers: Mapping[str, str]
    started_at: float
    deadline: float
    attempts: list[AttemptSummary] = field(default_factory=list)
    served_by: str | None = None
    usage: Usage | None = None
    strip_usage_chunk: bool = False
    """Set when the gateway asked upstream for stream usage the client did not ask for."""
    principal: Principal | None = None
    """Who is calling; set by the authentication policy."""
    team: TeamRecord | None = None
    """The caller's team as managed or configured (models, limits, budget); set by the
    authentication policy when the team has any of those."""
    prompt_version: str | None = None
    """The version of the prompt template the request was built from, when known."""
    prompt_label: str | None = None
    """The label the gateway resolved to `prompt_version` when it rendered a registered
    prompt by label (None for a version named outright or sent by the client)."""
    token_estimate: tuple[int, int] | None = None
    """(prompt, completion) tokens the request may use, once estimated (quotas, budgets)."""
    route: str = ""
    """The configured model route that matched the requested name."""
    upstream_seconds: float = 0.0
    """Time spent waiting on backends, so the gateway's own overhead can be told apart."""
    status: int | None = None
    shield_events: list[ShieldEvent] = field(default_factory=list)
    """Every finding of the safety policies, for the request log and metrics."""
    first_byte_at: float | None = None
    capture: Capture | None = None
    """The request's prompt and completion as they passed the gateway, when capture selected
    it; set by the capture policy's finish hook, which runs before the usage policy's (hooks
    run innermost first), so the usage record carries it."""
    spilled_over: bool = False
    """Served by a pool member below the pool's first priority (PTU full, pay-as-you-go took
    it); set by routing."""
    utilization: float | None = None
    """The serving deployment's provisioned-throughput utilization (0–1) as its reply
    reported it (`azure-openai-deployment-utilization`), when it did."""
    cost: float | None = None
    """The request's cost in USD once accounting priced it (set at finish)."""
    trace: object | None = None
    """The request's trace (its span and context) while tracing is on; opaque outside
    telemetry, which sets and reads it. None when tracing is off, so the hot path pays one
    check."""
    _rewritten: bytes | None = None
    _finish_hooks: list[FinishHook] = field(default_factory=list)

    def rewrite(self, body: dict[str, Any]) -> None:
        """Replace the body sent upstream (policies that change the request call this)."""
        self.body = body
        self._rewritten = orjson.dumps(body)

    @property
    def upstream_bytes(self) -> bytes:
        """The bytes to send upstream: the client's own unless a policy rewrote them."""
        return self._rewritten if self._rewritten is not None else self.raw

    def on_finish(self, hook: FinishHook) -> None:
        """Run `hook` after the last byte went out, on error, or on client disconnect."""
        self._finish_hooks.append(hook)

    async def finish(self) -> None:
        hooks, self._finish_hooks = self._finish_hooks, []
        for hook in reversed(hooks):
            await hook(self)
