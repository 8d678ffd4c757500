"""The marker for "leave this setting as it is" in partial updates of keys and teams.

`None` already means "remove the setting" (no limit, no budget), so leaving a field unchanged
needs a value of its own; it maps directly onto a JSON merge patch (absent → KEEP).
"""

from __future__ import annotations

from enum import Enum

MAX_LIMIT = 2**63 - 1
"""The largest TPM/RPM limit a 64-bit column holds; far beyond any real one."""


class Keep(Enum):
    KEEP = "keep"

    def __repr__(self) -> str:
        return "KEEP"


KEEP = Keep.KEEP
