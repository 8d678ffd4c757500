"""One line of a run's `results.jsonl`: one prompt's answer to one dataset item, with what it
cost and how each evaluator scored it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sluicegate.evals.evaluator import Score


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @classmethod
    def from_reply(cls, usage: Any) -> Usage | None:
        """The `usage` object of a chat completion, or None when the reply has none."""
        if not isinstance(usage, Mapping):
            return None
        details = usage.get("prompt_tokens_details")
        cached = details.get("cached_tokens") if isinstance(details, Mapping) else None
        return cls(_count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens")),
                   _count(cached))  # fmt: skip

    def to_json(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
            "total_tokens": self.total_tokens,
        }


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


@dataclass(frozen=True, slots=True)
class ItemResult:
    item: str
    prompt: str
    """The `--prompt` spec as given."""
    answer: str | None
    error: str | None
    """Why there is no answer (after retries); None when there is one."""
    status: int = 0
    latency_s: float | None = None
    attempts: int = 0
    usage: Usage | None = None
    cost_usd: float | None = None
    resolved_version: str | None = None
    """`name@v3` from the gateway's reply header (registry prompts), or the local file's hash."""
    request_id: str | None = None
    scores: Mapping[str, Score] = field(default_factory=dict)
    finished_at: str = ""

    @property
    def done(self) -> bool:
        """Answered: a resumed run does not ask again (failed items are asked again)."""
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "prompt": self.prompt,
            "answer": self.answer,
            "error": self.error,
            "status": self.status,
            "latency_s": self.latency_s,
            "attempts": self.attempts,
            "usage": self.usage.to_json() if self.usage is not None else None,
            "cost_usd": self.cost_usd,
            "resolved_version": self.resolved_version,
            "request_id": self.request_id,
            "scores": {
                name: {"value": s.value, "passed": s.passed, "reason": s.reason}
                for name, s in self.scores.items()
            },
            "finished_at": self.finished_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ItemResult:
        """Raises KeyError, TypeError or ValueError on a line that is not a result."""
        usage = data.get("usage")
        scores_data = data.get("scores") or {}
        if not isinstance(scores_data, Mapping):
            raise TypeError("scores must be an object")
        scores = {
            str(name): Score(
                metric=str(name),
                value=None if s.get("value") is None else float(s["value"]),
                passed=s.get("passed"),
                reason=s.get("reason"),
            )
            for name, s in scores_data.items()
        }
        return cls(
            item=str(data["item"]),
            prompt=str(data["prompt"]),
            answer=data.get("answer"),
            error=data.get("error"),
            status=int(data.get("status") or 0),
            latency_s=data.get("latency_s"),
            attempts=int(data.get("attempts") or 0),
            usage=Usage(
                int(usage.get("prompt_tokens", 0)),
                int(usage.get("completion_tokens", 0)),
                int(usage.get("cached_tokens", 0)),
            )
            if isinstance(usage, Mapping)
            else None,
            cost_usd=data.get("cost_usd"),
            resolved_version=data.get("resolved_version"),
            request_id=data.get("request_id"),
            scores=scores,
            finished_at=str(data.get("finished_at") or ""),
        )
