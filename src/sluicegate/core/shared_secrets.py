"""Secrets every replica must share (the key that signs feedback tokens), kept in the database
when the configuration does not provide them."""

from __future__ import annotations

from typing import Protocol


class SharedSecrets(Protocol):
    """Named secrets, created once by whichever replica comes first."""

    async def get_or_create(self, name: str, value: str) -> str:
        """The secret stored under `name`; `value` is stored first when there is none. When
        replicas race, every one of them gets the value that was stored first."""
        ...
