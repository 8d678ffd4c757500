"""The safety policy: shields on the request, then on the reply (whole or streamed).

It sits after authentication, quotas and the usage policy in the chain, so a refused request
is still an accepted one with its ledger record (status 400, `content_filter`) and its quota
reservation refunded. The profile is chosen per request: the key's, else the team's, else the
route's, else the default.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from sluicegate.core.errors import ContentFiltered
from sluicegate.core.exchange import Exchange
from sluicegate.core.policy import Handler
from sluicegate.core.reply import Reply
from sluicegate.policies.shields.events import record_event
from sluicegate.policies.shields.inspect import InputReport, Redactor, inspect_texts, where
from sluicegate.policies.shields.output_body import filter_reply_body
from sluicegate.policies.shields.output_stream import GuardedStream
from sluicegate.policies.shields.profile import Profile
from sluicegate.policies.shields.remote import RemoteChecks
from sluicegate.policies.shields.results import describe, filter_results
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.texts import TextKind, TextRef, apply_edits, request_texts

OFFLOAD_CHARS = 64_000
"""Requests with more text than this are checked in a worker thread, so one huge prompt does
not hold up every other request on the event loop for its whole check."""


class ProfileChooser:
    """Picks the profile of a request: key, then team, then route, then the default."""

    __slots__ = ("_by_key", "_by_route", "_by_team", "_default")

    def __init__(
        self,
        default: Profile,
        *,
        keys: Mapping[str, Profile] | None = None,
        teams: Mapping[str, Profile] | None = None,
        routes: Mapping[str, Profile] | None = None,
    ) -> None:
        self._default = default
        self._by_key = dict(keys or {})
        self._by_team = dict(teams or {})
        self._by_route = dict(routes or {})

    def choose(self, exchange: Exchange) -> Profile:
        principal = exchange.principal
        if principal is not None:
            chosen = self._by_key.get(principal.subject) or self._by_team.get(principal.team)
            if chosen is not None:
                return chosen
        return self._by_route.get(exchange.route, self._default)


class SafetyPolicy:
    """Policy: check the request's texts, refuse or redact; then check the reply."""

    __slots__ = ("_chooser", "_redactors", "_remote")

    def __init__(
        self,
        chooser: ProfileChooser,
        redactors: Mapping[str, Redactor],
        remote: RemoteChecks | None = None,
    ) -> None:
        """`redactors` maps `mask` and `hash` to the function that replaces found spans."""
        self._chooser = chooser
        self._redactors = dict(redactors)
        self._remote = remote

    async def __call__(self, exchange: Exchange, call_next: Handler) -> Reply:
        profile = self._chooser.choose(exchange)
        if not profile.runs_anything:
            return await call_next(exchange)
        texts = request_texts(
            exchange.endpoint, exchange.body, all_user=profile.settings.prompt_scope == "all_user"
        )
        report = await self._inspect(profile, texts)
        _record(exchange, report)
        if report.blocking is not None:
            judged, ref = report.blocking
            raise ContentFiltered(
                f"The request was refused by this gateway's content safety policy: "
                f"{describe(judged, where(ref))}. Change the request and try again.",
                filter_results(
                    profile,
                    "input",
                    report.judged,
                    prompts=_has(texts, TextKind.PROMPT),
                    documents=_has(texts, TextKind.DOCUMENT),
                ),
            )
        if report.edits:
            exchange.rewrite(apply_edits(exchange.body, report.edits))
        reply = await call_next(exchange)
        if exchange.endpoint is Endpoint.EMBEDDINGS or reply.status >= 300:
            return reply
        if not (profile.checks_output or profile.annotate):
            return reply
        prompt_results = self._prompt_results(profile, exchange, texts, report)
        redactor = self._redactors[profile.redact_with]
        if reply.stream is not None:
            reply.stream = GuardedStream(
                reply.stream, profile, exchange, redactor, prompt_results, self._remote
            )
            return reply
        reply.body = await filter_reply_body(
            reply.body, profile, exchange, redactor, prompt_results, self._remote
        )
        return reply

    async def _inspect(self, profile: Profile, texts: list[TextRef]) -> InputReport:
        redactor = self._redactors[profile.redact_with]
        extra = []
        if self._remote is not None and self._remote.used_by(profile):
            extra = await self._remote.check_input(profile, texts)
        if profile.threaded or sum(len(ref.text) for ref in texts) > OFFLOAD_CHARS:
            return await asyncio.to_thread(inspect_texts, profile, texts, redactor, extra)
        return inspect_texts(profile, texts, redactor, extra)

    def _prompt_results(
        self, profile: Profile, exchange: Exchange, texts: list[TextRef], report: InputReport
    ) -> list[dict[str, Any]] | None:
        """Azure's `prompt_filter_results`, when the profile annotates replies."""
        if not profile.annotate:
            return None
        grouped = report.by_prompt(exchange.endpoint)
        if not grouped:
            grouped = {0: []}
        return [
            {
                "prompt_index": index,
                "content_filter_results": filter_results(
                    profile,
                    "input",
                    [j for r in reports for j in r.judged],
                    prompts=any(r.ref.kind is TextKind.PROMPT for r in reports) or not reports,
                    documents=any(r.ref.kind is TextKind.DOCUMENT for r in reports),
                ),
            }
            for index, reports in sorted(grouped.items())
        ]


def _has(texts: list[TextRef], kind: TextKind) -> bool:
    return any(ref.kind is kind for ref in texts)


def _record(exchange: Exchange, report: InputReport) -> None:
    """Note every acted-on finding on the exchange and in the log (never the text)."""
    for text in report.texts:
        direction = "document" if text.ref.kind is TextKind.DOCUMENT else "input"
        for judged in text.judged:
            if judged.action is not None:
                record_event(exchange, direction, judged)
