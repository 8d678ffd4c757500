"""Azure AI Content Safety as a detector: harm categories, blocklists and prompt shields.

Texts longer than the service accepts are cut (`chunks.py`) and checked in concurrent calls
whose findings are mapped back to where they came from; an attack in any piece is an attack
on the whole input. The service's documented input limits (api-version 2024-09-01):

- `text:analyze`: at most 10,000 characters of text per call.
- `text:shieldPrompt`: a user prompt of at most 10,000 characters, and at most 5 documents
  per call with at most 10,000 characters between them.

A long user prompt is sent as several prompts, a long document as several documents; each
call carries one prompt piece and one batch of document pieces, so the number of calls is the
larger of the two counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from itertools import zip_longest
from typing import Any

from sluicegate.config.safety_remote import AzureContentSafetySettings
from sluicegate.core.clock import Clock
from sluicegate.safety.remote.azure_replies import (
    Malformed,
    analysis_findings,
    shield_answers,
)
from sluicegate.safety.remote.chunks import Piece, batches, pieces_of, split
from sluicegate.safety.remote.failure_mode import FailureGuard, UncheckedVerdict
from sluicegate.safety.remote.failures import RemoteDetectorError
from sluicegate.safety.remote.headers import HeaderSource
from sluicegate.safety.remote.http import JsonClient, run_all
from sluicegate.safety.verdict import (
    CLEAN,
    DETECTED,
    Category,
    Finding,
    Span,
    Verdict,
    combine,
)

DETECTOR = "azure_content_safety"
SERVICE = "content safety service (Azure AI Content Safety)"

TEXT_LIMIT = 10_000
"""Characters of text per `text:analyze` call."""
PROMPT_LIMIT = 10_000
"""Characters of user prompt per `text:shieldPrompt` call."""
DOCUMENTS_LIMIT = 10_000
"""Characters of all documents together per `text:shieldPrompt` call."""
MAX_DOCUMENTS = 5
"""Documents per `text:shieldPrompt` call."""

ANALYZE = "text:analyze"
SHIELD = "text:shieldPrompt"

ShieldVerdicts = tuple[Verdict, tuple[Verdict, ...]]


class AzureContentSafety:
    """A client of one Content Safety resource, with the configured failure mode applied.

    `analyze` grades a prompt or a reply; `shield` looks for a jailbreak in the user prompt
    and for injected instructions in documents. A check turned off in the settings returns a
    clean verdict without a call. While the service is down, the failure mode decides:
    `UncheckedVerdict`s (fail-open) or `ServiceUnavailable` (fail-closed).
    """

    def __init__(
        self, settings: AzureContentSafetySettings, headers: HeaderSource, clock: Clock
    ) -> None:
        self._checks = settings.checks
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
        base = f"{settings.endpoint}/contentsafety/text"
        self._analyze_url = f"{base}:analyze"
        self._shield_url = f"{base}:shieldPrompt"
        self._params = {"api-version": settings.api_version}
        options: dict[str, Any] = {
            "categories": list(settings.categories),
            "outputType": "EightSeverityLevels",
        }
        if settings.blocklist_names:
            options["blocklistNames"] = list(settings.blocklist_names)
            options["haltOnBlocklistHit"] = settings.halt_on_blocklist_hit
        self._analyze_options = options

    def __repr__(self) -> str:
        return f"AzureContentSafety(checks={self._checks!r})"

    @property
    def down(self) -> bool:
        """Whether the service is in an outage (calls fail at once until the next probe)."""
        return self._guard.down

    async def close(self) -> None:
        await self._http.close()

    async def analyze(self, text: str) -> Verdict:
        """Harm categories (severity 0–7) and blocklist matches in `text`."""
        if not self._checks.analyze or not text:
            return CLEAN
        return await self._guard.run(
            lambda: self._http.bounded(ANALYZE, lambda: self._analyze(text)), _same
        )

    async def shield(
        self, user_prompt: str | None, documents: Sequence[str] = ()
    ) -> ShieldVerdicts:
        """A JAILBREAK finding for the prompt, and an INDIRECT_ATTACK verdict per document."""
        documents = tuple(documents)
        prompt = user_prompt if self._checks.shield_prompt and user_prompt else ""
        checked_documents = documents if self._checks.shield_documents else ()
        if not prompt and not any(checked_documents):
            return CLEAN, (CLEAN,) * len(documents)

        def unchecked(verdict: UncheckedVerdict) -> ShieldVerdicts:
            return (
                verdict if prompt else CLEAN,
                tuple(verdict if text else CLEAN for text in checked_documents)
                or (CLEAN,) * len(documents),
            )

        return await self._guard.run(
            lambda: self._http.bounded(
                SHIELD, lambda: self._shield(prompt, checked_documents, len(documents))
            ),
            unchecked,
        )

    async def _analyze(self, text: str) -> Verdict:
        calls = [
            partial(self._analyze_piece, offset, piece) for offset, piece in split(text, TEXT_LIMIT)
        ]
        return combine(await run_all(calls))

    async def _analyze_piece(self, offset: int, piece: str) -> Verdict:
        payload = {"text": piece, **self._analyze_options}
        reply = await self._http.post(ANALYZE, self._analyze_url, payload, self._params)
        failure: RemoteDetectorError
        try:
            findings = analysis_findings(reply, offset, piece, DETECTOR)
        except Malformed as exc:
            failure = self._http.malformed(ANALYZE, str(exc))
        else:
            return Verdict(findings) if findings else CLEAN
        raise failure

    async def _shield(self, prompt: str, documents: Sequence[str], count: int) -> ShieldVerdicts:
        prompt_pieces = pieces_of([prompt], PROMPT_LIMIT) if prompt else []
        document_batches = batches(
            pieces_of(documents, DOCUMENTS_LIMIT),
            max_items=MAX_DOCUMENTS,
            max_total=DOCUMENTS_LIMIT,
        )
        plan = list(zip_longest(prompt_pieces, document_batches))
        calls = [partial(self._shield_call, piece, batch or []) for piece, batch in plan]
        answers = await run_all(calls)
        prompt_spans: list[Span] = []
        document_spans: dict[int, list[Span]] = {}
        for (piece, batch), (prompt_attacked, documents_attacked) in zip(
            plan, answers, strict=True
        ):
            if piece is not None and prompt_attacked:
                prompt_spans.append(Span(piece.offset, piece.end))
            for document, attacked in zip(batch or [], documents_attacked, strict=True):
                if attacked:
                    document_spans.setdefault(document.source, []).append(
                        Span(document.offset, document.end)
                    )
        return (
            _attack(Category.JAILBREAK, prompt_spans),
            tuple(
                _attack(Category.INDIRECT_ATTACK, document_spans.get(index, []))
                for index in range(count)
            ),
        )

    async def _shield_call(
        self, piece: Piece | None, batch: list[Piece]
    ) -> tuple[bool, list[bool]]:
        payload = {
            "userPrompt": piece.text if piece is not None else "",
            "documents": [document.text for document in batch],
        }
        reply = await self._http.post(SHIELD, self._shield_url, payload, self._params)
        failure: RemoteDetectorError
        try:
            return shield_answers(reply, prompt_sent=piece is not None, documents=len(batch))
        except Malformed as exc:
            failure = self._http.malformed(SHIELD, str(exc))
        raise failure


def _attack(category: Category, spans: list[Span]) -> Verdict:
    if not spans:
        return CLEAN
    return Verdict((Finding(category, DETECTED, spans=tuple(spans), detector=DETECTOR),))


def _same(verdict: UncheckedVerdict) -> Verdict:
    return verdict
