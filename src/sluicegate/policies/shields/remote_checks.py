"""The remote detectors a profile turns on, called for a request's texts and its reply.

Calls for one request run concurrently, so the added latency is that of the slowest service,
not their sum. Each text's remote findings come back as one verdict, in the text's own
offsets, to be judged by the same profile as the local findings. A service that cannot answer
has already applied its failure mode: an unchecked (empty) verdict or a 503.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Protocol

from sluicegate.policies.shields.profile import Profile
from sluicegate.safety.remote import AzureContentSafety, GuardModel
from sluicegate.safety.verdict import CLEAN, Verdict, combine
from sluicegate.wire.texts import TextKind, TextRef


class Closeable(Protocol):
    async def close(self) -> None: ...


class RemoteDetectors:
    """A `RemoteChecks` over the configured clients (either may be absent)."""

    __slots__ = ("_azure", "_guard", "_owned")

    def __init__(
        self,
        azure: AzureContentSafety | None,
        guard: GuardModel | None,
        owned: Sequence[Closeable] = (),
    ) -> None:
        """`owned`: what the clients use and this object closes with them (credential
        providers)."""
        self._azure = azure
        self._guard = guard
        self._owned = tuple(owned)

    def used_by(self, profile: Profile) -> bool:
        return self._azure_for(profile) is not None or self._guard_for(profile) is not None

    async def check_input(self, profile: Profile, texts: Sequence[TextRef]) -> list[Verdict]:
        azure, guard = self._azure_for(profile), self._guard_for(profile)
        calls: list[Awaitable[Verdict]] = []
        owners: list[int] = []
        checked = [(i, ref) for i, ref in enumerate(texts) if ref.kind is not TextKind.INPUT]
        if azure is not None:
            for index, ref in checked:
                calls.append(azure.analyze(ref.text))
                owners.append(index)
        if guard is not None:
            for index, ref in checked:
                calls.append(guard.check(ref.text, role="user"))
                owners.append(index)
        results = list(await asyncio.gather(*calls))
        if azure is not None:
            results += await self._shield(azure, checked, owners)
        per_text: list[list[Verdict]] = [[] for _ in texts]
        for owner, verdict in zip(owners, results, strict=True):
            per_text[owner].append(verdict)
        return [combine(verdicts) if verdicts else CLEAN for verdicts in per_text]

    async def check_output(self, profile: Profile, text: str, prompt: str) -> Verdict:
        azure, guard = self._azure_for(profile), self._guard_for(profile)
        calls: list[Awaitable[Verdict]] = []
        if azure is not None:
            calls.append(azure.analyze(text))
        if guard is not None:
            context = [{"role": "user", "content": prompt}] if prompt else []
            calls.append(guard.check(text, role="assistant", context=context))
        return combine(await asyncio.gather(*calls)) if calls else CLEAN

    async def close(self) -> None:
        for client in (self._azure, self._guard):
            if client is not None:
                await client.close()
        for owned in self._owned:
            await owned.close()

    async def _shield(
        self, azure: AzureContentSafety, checked: list[tuple[int, TextRef]], owners: list[int]
    ) -> list[Verdict]:
        """One prompt-shield call per user prompt, the documents with the first of them."""
        prompts = [(i, ref) for i, ref in checked if ref.kind is TextKind.PROMPT]
        documents = [(i, ref) for i, ref in checked if ref.kind is TextKind.DOCUMENT]
        if not prompts and not documents:
            return []
        calls = []
        first_prompt = prompts[0][1].text if prompts else None
        calls.append(azure.shield(first_prompt, [ref.text for _, ref in documents]))
        calls += [azure.shield(ref.text, ()) for _, ref in prompts[1:]]
        answers = await asyncio.gather(*calls)
        out: list[Verdict] = []
        for number, (prompt_verdict, document_verdicts) in enumerate(answers):
            if number == 0 and prompts:
                owners.append(prompts[0][0])
                out.append(prompt_verdict)
            elif number > 0:
                owners.append(prompts[number][0])
                out.append(prompt_verdict)
            if number == 0:
                for (index, _), verdict in zip(documents, document_verdicts, strict=False):
                    owners.append(index)
                    out.append(verdict)
        return out

    def _azure_for(self, profile: Profile) -> AzureContentSafety | None:
        return self._azure if profile.settings.remote.azure_content_safety else None

    def _guard_for(self, profile: Profile) -> GuardModel | None:
        return self._guard if profile.settings.remote.guard_model else None
