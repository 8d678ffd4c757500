"""Remote detectors as the safety policy calls them: one verdict per text, merged with the
local detectors' findings and judged by the same profile."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sluicegate.policies.shields.profile import Profile
from sluicegate.safety.verdict import Verdict
from sluicegate.wire.texts import TextRef


class RemoteChecks(Protocol):
    def used_by(self, profile: Profile) -> bool:
        """Whether the profile calls any remote detector."""
        ...

    async def check_input(self, profile: Profile, texts: Sequence[TextRef]) -> list[Verdict]:
        """One verdict per text, in order."""
        ...

    async def check_output(self, profile: Profile, text: str, prompt: str) -> Verdict:
        """The verdict on a whole reply (`prompt`: the latest user prompt, for guard models
        that judge the reply in its conversation)."""
        ...
