"""The blocklists in force: the config's, and those managed through the admin API or CLI.

Managed lists are read whole from the store every `refresh_seconds` (and at once on this
replica when the admin API changes one), so a change reaches every replica within that time
and the store is never on the request path. A managed list replaces a config list of the same
name. Matchers are compiled once per change and per selection of lists, not per request.
When the store cannot be read, the last lists read stay in force and the failure is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence

from sluicegate.config.safety import BlocklistSettings
from sluicegate.core.blocklists import BlocklistRecord, BlocklistStore
from sluicegate.safety.blocklist import Blocklist, Blocklists
from sluicegate.safety.verdict import Verdict

log = logging.getLogger("sluicegate.safety")

Detector = Callable[[str], Verdict]
Selection = tuple[str, ...] | None
"""Names of the lists a profile uses; None: every list."""
_Content = tuple[tuple[str, ...], tuple[str, ...]]


class BlocklistCatalog:
    __slots__ = (
        "_configured",
        "_content",
        "_lists",
        "_matchers",
        "_refresh_s",
        "_store",
        "_task",
    )

    def __init__(
        self,
        configured: Mapping[str, BlocklistSettings],
        store: BlocklistStore | None,
        *,
        refresh_seconds: float = 2.0,
    ) -> None:
        """Raises ValueError naming the list when a configured list cannot be compiled."""
        if refresh_seconds <= 0:
            raise ValueError(f"refresh_seconds must be positive, not {refresh_seconds}")
        self._configured = {
            name: Blocklist(name, settings.terms, settings.patterns)
            for name, settings in configured.items()
        }
        self._store = store
        self._refresh_s = refresh_seconds
        self._lists: dict[str, Blocklist] = dict(self._configured)
        self._content: dict[str, _Content] = {}
        self._matchers: dict[Selection, Blocklists] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._lists))

    def detector(self, selection: Sequence[str] | None) -> Detector:
        """A detector over the lists in `selection` (None: all) as they are when it is called."""
        key: Selection = None if selection is None else tuple(sorted(set(selection)))

        def detect(text: str) -> Verdict:
            return self._matcher(key)(text)

        return detect

    async def refresh(self) -> None:
        """Read the managed lists again; keep the last ones when the store fails."""
        if self._store is None:
            return
        try:
            records = await self._store.list()
        except Exception as error:  # the store's own errors, whatever the backend
            log.warning("cannot read the managed blocklists (keeping the last ones): %s", error)
            return
        self._install(records)

    async def changed(self, name: str) -> None:
        """A list changed on this replica: read them again now rather than at the next tick."""
        await self.refresh()

    async def start(self) -> None:
        """Read the lists once, then keep them fresh in the background."""
        await self.refresh()
        if self._store is not None and self._task is None:
            self._task = asyncio.create_task(self._keep_fresh(), name="blocklist refresh")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _keep_fresh(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_s)
            await self.refresh()

    def _install(self, records: Sequence[BlocklistRecord]) -> None:
        content = {r.name: (tuple(r.terms), tuple(r.patterns)) for r in records}
        if content == self._content:
            return
        lists = dict(self._configured)
        for record in records:
            try:
                lists[record.name] = Blocklist(record.name, record.terms, record.patterns)
            except ValueError as error:
                log.error("the managed blocklist '%s' cannot be used: %s", record.name, error)
        self._lists = lists
        self._content = content
        self._matchers = {}

    def _matcher(self, key: Selection) -> Blocklists:
        matcher = self._matchers.get(key)
        if matcher is None:
            names = self._lists if key is None else [n for n in key if n in self._lists]
            matcher = Blocklists(self._lists[name] for name in names)
            self._matchers[key] = matcher
        return matcher
