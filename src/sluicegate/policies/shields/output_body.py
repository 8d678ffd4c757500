"""Output shields on a whole (non-streamed) reply.

A flagged choice is answered the way Azure OpenAI answers it: its text is withheld (`content`
null for chat, empty `text` for completions) and its `finish_reason` is `content_filter`, with
the verdict in the choice's `content_filter_results`. The rest of the reply (other choices,
usage: the tokens were generated and are billed) is kept.
"""

from __future__ import annotations

from typing import Any

import orjson

from sluicegate.core.exchange import Exchange
from sluicegate.policies.shields.events import record_event
from sluicegate.policies.shields.inspect import Redactor
from sluicegate.policies.shields.profile import Profile
from sluicegate.policies.shields.remote import RemoteChecks
from sluicegate.policies.shields.results import Judged, filter_results
from sluicegate.safety.verdict import Verdict
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.texts import last_user_prompt


async def filter_reply_body(
    body: bytes,
    profile: Profile,
    exchange: Exchange,
    redactor: Redactor,
    prompt_results: list[dict[str, Any]] | None,
    remote: RemoteChecks | None,
) -> bytes:
    """The reply body with output verdicts applied; the same bytes when nothing changes."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    choices = payload.get("choices") if isinstance(payload, dict) else None
    if not isinstance(choices, list):
        return body
    detect = profile.output_detector() if profile.checks_output else None
    use_remote = remote is not None and remote.used_by(profile)
    changed = prompt_results is not None
    for choice in choices:
        if not isinstance(choice, dict):
            continue
        text, setter = _choice_text(choice, exchange.endpoint)
        verdicts: list[Verdict] = []
        if detect is not None and text:
            verdicts.append(detect(text))
        if use_remote and text and remote is not None:
            verdicts.append(
                await remote.check_output(profile, text, last_user_prompt(exchange.body))
            )
        judged = [Judged(f, profile.action_for(f)) for v in verdicts for f in v.findings]
        for item in judged:
            if item.action is not None:
                record_event(exchange, "output", item)
        blocked = any(j.action == "block" for j in judged)
        spans = [
            span
            for j in judged
            if j.action == "redact"
            for span in j.finding.spans
            if 0 <= span.start < span.end <= len(text)
        ]
        if blocked:
            setter(None)
            choice["finish_reason"] = "content_filter"
            changed = True
        elif spans:
            setter(redactor(text, spans))
            changed = True
        if profile.annotate or blocked or spans:
            choice["content_filter_results"] = filter_results(profile, "output", judged)
            changed = True
    if prompt_results is not None:
        payload["prompt_filter_results"] = prompt_results
    return orjson.dumps(payload) if changed else body


def _choice_text(choice: dict[str, Any], endpoint: Endpoint) -> tuple[str, Any]:
    """The choice's text and a function that replaces it."""
    if endpoint is Endpoint.COMPLETIONS:
        text = choice.get("text")

        def set_text(value: str | None) -> None:
            choice["text"] = value or ""

        return (text if isinstance(text, str) else ""), set_text
    message = choice.get("message")
    if not isinstance(message, dict):
        return "", lambda value: None
    content = message.get("content")

    def set_content(value: str | None) -> None:
        message["content"] = value

    return (content if isinstance(content, str) else ""), set_content
