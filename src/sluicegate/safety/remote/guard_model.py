"""A guard model behind an OpenAI-compatible chat endpoint (Llama Guard 3 on vLLM, Ollama, …).

The checked text is sent as the last turn of a short conversation, in the role it has (the
user's prompt, or the model's reply after the prompt), with `temperature: 0` and a few tokens
of answer. The answer's hazard codes become findings through the configured mapping
(`GuardModelSettings.category_map`); every finding spans the whole checked text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sluicegate.config.safety_remote import GuardModelSettings
from sluicegate.core.clock import Clock
from sluicegate.safety.remote.failure_mode import FailureGuard, UncheckedVerdict
from sluicegate.safety.remote.failures import RemoteDetectorError
from sluicegate.safety.remote.headers import HeaderSource
from sluicegate.safety.remote.http import JsonClient
from sluicegate.safety.remote.llama_guard import (
    Role,
    Unreadable,
    conversation,
    findings,
    parse_answer,
)
from sluicegate.safety.verdict import CLEAN, Span, Verdict

DETECTOR = "guard_model"
SERVICE = "guard model"
OPERATION = "chat/completions"


class GuardModel:
    """A client of one guard model, with the configured failure mode applied."""

    def __init__(self, settings: GuardModelSettings, headers: HeaderSource, clock: Clock) -> None:
        self._settings = settings
        self._mapping = settings.category_map
        self._url = f"{settings.base_url}/chat/completions"
        self._http = JsonClient(
            DETECTOR,
            headers,
            clock,
            timeout_s=settings.timeout_seconds,
            max_connections=settings.max_connections,
        )
        self._guard = FailureGuard(
            DETECTOR,
            SERVICE,
            settings.failure_mode,
            clock,
            probe_interval_s=settings.probe_interval_seconds,
        )

    def __repr__(self) -> str:
        return f"GuardModel(model={self._settings.model!r})"

    @property
    def down(self) -> bool:
        return self._guard.down

    async def close(self) -> None:
        await self._http.close()

    async def check(
        self, text: str, *, role: Role, context: Sequence[Mapping[str, str]] = ()
    ) -> Verdict:
        """The guard's verdict on `text` as the last turn, spoken by `role`, after `context`
        (earlier turns as `{"role", "content"}`; for a reply, at least the user's prompt)."""
        if not text:
            return CLEAN
        return await self._guard.run(
            lambda: self._http.bounded(OPERATION, lambda: self._check(text, role, context)),
            _same,
        )

    async def _check(self, text: str, role: Role, context: Sequence[Mapping[str, str]]) -> Verdict:
        payload = {
            "model": self._settings.model,
            "messages": conversation(text, role, context, self._settings.max_context_messages),
            "max_tokens": self._settings.max_tokens,
            "temperature": 0,
        }
        reply = await self._http.post(OPERATION, self._url, payload)
        failure: RemoteDetectorError
        try:
            unsafe, codes = parse_answer(_content(reply))
        except Unreadable as exc:
            failure = self._http.malformed(OPERATION, str(exc))
        else:
            if not unsafe:
                return CLEAN
            return Verdict(findings(codes, self._mapping, Span(0, len(text)), DETECTOR))
        raise failure


def _content(reply: Any) -> str:
    """`choices[0].message.content`, or Unreadable saying which part is missing."""
    choices = reply.get("choices") if isinstance(reply, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise Unreadable("no choices")
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise Unreadable("choices[0].message.content is not a string")
    return content


def _same(verdict: UncheckedVerdict) -> Verdict:
    return verdict
