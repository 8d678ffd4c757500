"""Custom blocklists managed at run time (admin API, CLI), beside the ones in the config.

A list holds exact terms and regular expressions; the safety policy matches them on requests
and replies. Lists are few and small next to the traffic, so gateways read them whole and
often rather than per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class BlocklistRecord:
    name: str
    terms: tuple[str, ...] = ()
    """Words or phrases, matched case-insensitively on word boundaries."""
    patterns: tuple[str, ...] = ()
    """Regular expressions (Python syntax)."""
    description: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


class BlocklistStore(Protocol):
    async def get(self, name: str) -> BlocklistRecord | None: ...

    async def put(self, record: BlocklistRecord) -> bool:
        """Create or replace; True when the list is new."""
        ...

    async def delete(self, name: str) -> bool:
        """True when a list was deleted."""
        ...

    async def list(self) -> list[BlocklistRecord]:
        """Every list, ordered by name."""
        ...
