"""Writing an export from the database into a file (`usage export`, `feedback export`): the
file is written beside the target and renamed at the end, so a failed export leaves no half
file behind, and an existing file is replaced only by a complete one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sluicegate.cli.store_access import failure, with_stores

if TYPE_CHECKING:
    from sluicegate.stores.sql import SqlStores


def export_to_file(
    url: str, out: Path, write: Callable[[SqlStores, IO[bytes]], Awaitable[int]]
) -> int:
    """Run `write(stores, file)` on the database at `url` into `out`; what it counted. A
    directory that does not exist is exit 1 (named as `--out`'s)."""
    directory = out.parent if str(out.parent) else Path(".")
    if not directory.is_dir():
        failure(f"--out {out}: the directory {directory} does not exist")
    handle, partial = tempfile.mkstemp(prefix=f".{out.name}.", dir=directory)

    async def into_file(stores: SqlStores) -> int:
        with os.fdopen(handle, "wb") as file:
            return await write(stores, file)

    try:
        count = with_stores(url, into_file)
        os.replace(partial, out)
    finally:
        Path(partial).unlink(missing_ok=True)
    return count
