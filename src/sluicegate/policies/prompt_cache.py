"""What the gateway knows of the prompt registry: every label, and the versions it has used.

Labels of all prompts are loaded at start and reloaded every `refresh_seconds` by a background
task, so a label moved on any replica (or from the command line) is in effect everywhere within
that time, and a request that names a label never waits on the store. Versions are immutable,
so a version once loaded is kept for good, parsed: each reload first loads the versions the labels
point at, and a version named outright that was never loaded is read once (concurrent requests
for it share the read). When the store cannot be read, the last labels read stay in force and the
failure is logged once, until a reload succeeds again; no request fails because of it.

Time comes from the injected clock: `tick()` reloads only once the interval has passed, so tests
move a manual clock and tick instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from sluicegate.core.clock import Clock
from sluicegate.core.errors import ServiceUnavailable
from sluicegate.core.prompts import PromptLabel, PromptStore, PromptVersion
from sluicegate.prompts.prompty import Prompty, PromptyError, parse_prompty

log = logging.getLogger("sluicegate.prompts")

RESERVED_PARAMETERS = frozenset({"model", "messages", "prompt", "stream", "stream_options"})
"""Request fields a prompt's `model.parameters` never set: the model comes from its
configuration, the messages from its template, and streaming is the caller's choice."""
MODEL_KEYS = ("azure_deployment", "model", "name")
"""Keys of `model.configuration` that name the model or deployment, first match wins."""
_MAX_MISSING = 10_000

VersionKey = tuple[str, int]
Targets = tuple[tuple[int, int], ...]
"""A label's versions with their weights, as the traffic split takes them."""


@dataclass(frozen=True, slots=True)
class LoadedVersion:
    """One version as the gateway renders it: parsed once, with its request defaults ready."""

    version: PromptVersion
    prompty: Prompty | None
    """None when the stored text cannot be parsed (then `problem` says why)."""
    problem: str | None
    parameters: bytes
    """`model.parameters` (less the reserved fields) as JSON, decoded afresh per request so no
    request can change what the next one gets."""
    model: str | None
    """The model or deployment the prompt's configuration names, if any."""

    @property
    def ref(self) -> str:
        return self.version.ref

    def defaults(self) -> dict[str, Any]:
        """A fresh copy of the request fields this version sets by default."""
        decoded: dict[str, Any] = orjson.loads(self.parameters)
        return decoded


def load_version(version: PromptVersion) -> LoadedVersion:
    """Parse a stored version; a version that cannot be parsed is kept with its problem."""
    try:
        prompty = parse_prompty(version.source)
    except PromptyError as error:
        log.error("prompt %s cannot be used: %s", version.ref, error)
        return LoadedVersion(version, None, str(error), b"{}", None)
    parameters = {
        key: value
        for key, value in prompty.model.parameters.items()
        if key not in RESERVED_PARAMETERS
    }
    return LoadedVersion(
        version, prompty, None, orjson.dumps(parameters), _configured_model(prompty)
    )


def _configured_model(prompty: Prompty) -> str | None:
    configuration = prompty.model.configuration
    for key in MODEL_KEYS:
        value = configuration.get(key)
        # `${env:...}` is resolved by whoever runs a prompt locally, never by the gateway.
        if isinstance(value, str) and value.strip() and "${" not in value:
            return value.strip()
    return None


class PromptCache:
    """Labels and versions of the registry, held in process and kept fresh."""

    __slots__ = (
        "_clock",
        "_failing",
        "_labels",
        "_loading",
        "_missing",
        "_next_at",
        "_refresh_s",
        "_store",
        "_task",
        "_timeout_s",
        "_versions",
    )

    def __init__(
        self,
        store: PromptStore,
        clock: Clock,
        *,
        refresh_seconds: float = 2.0,
        timeout_seconds: float = 5.0,
    ) -> None:
        """`timeout_seconds` bounds one reload and one read of a version."""
        if refresh_seconds <= 0 or timeout_seconds <= 0:
            raise ValueError("refresh_seconds and timeout_seconds must be positive")
        self._store = store
        self._clock = clock
        self._refresh_s = refresh_seconds
        self._timeout_s = timeout_seconds
        self._labels: dict[tuple[str, str], Targets] = {}
        self._versions: dict[VersionKey, LoadedVersion] = {}
        self._missing: dict[VersionKey, float] = {}
        self._loading: dict[VersionKey, asyncio.Task[LoadedVersion | None]] = {}
        self._next_at = clock.now()
        self._failing = False
        self._task: asyncio.Task[None] | None = None

    # --- the request path: no I/O for labels and for versions already loaded -------------

    def label(self, name: str, label: str) -> Targets | None:
        """Where `label` of `name` pointed at the last reload: (version, weight) pairs."""
        return self._labels.get((name, label))

    def cached(self, name: str, version: int) -> LoadedVersion | None:
        return self._versions.get((name, version))

    async def version(self, name: str, version: int) -> LoadedVersion | None:
        """The version, read from the store only the first time; None when it does not exist
        (remembered for one refresh interval, so a flood of requests for it stays off the
        store). `ServiceUnavailable` when the store cannot be read."""
        key = (name, version)
        loaded = self._versions.get(key)
        if loaded is not None:
            return loaded
        until = self._missing.get(key)
        if until is not None and self._clock.now() < until:
            return None
        task = self._loading.get(key)
        if task is None:
            task = asyncio.create_task(self._load_one(key), name=f"load prompt {name}@v{version}")
            self._loading[key] = task
            task.add_done_callback(lambda _: self._loading.pop(key, None))
        try:
            # Shielded: a client that leaves does not cancel the read others are waiting on.
            return await asyncio.shield(task)
        except Exception as error:
            log.warning("cannot read prompt %s@v%d: %s", name, version, _describe(error))
            raise ServiceUnavailable(
                "The prompt registry cannot be read right now; try again shortly, or name the "
                "prompt by a label."
            ) from None

    # --- keeping fresh ------------------------------------------------------------------------

    async def refresh(self) -> bool:
        """Reload every label and load the versions they point at; on failure keep the last
        state (logged once per outage). Whether it succeeded."""
        self._next_at = self._clock.now() + self._refresh_s
        try:
            async with asyncio.timeout(self._timeout_s):
                labels = list(await self._store.labels())
                await self._preload(labels)
        except Exception as error:
            if not self._failing:
                self._failing = True
                log.warning(
                    "cannot reload prompt labels (serving the last ones read, retrying every "
                    "%g s): %s",
                    self._refresh_s,
                    _describe(error),
                )
            return False
        self._labels = {
            (item.name, item.label): tuple((t.version, t.weight) for t in item.targets)
            for item in labels
        }
        if self._failing:
            self._failing = False
            log.info("prompt labels are reloaded again (%d labels)", len(labels))
        return True

    async def tick(self) -> bool:
        """Reload if the refresh interval has passed since the last reload; whether it did."""
        if self._clock.now() < self._next_at:
            return False
        await self.refresh()
        return True

    async def changed(self) -> None:
        """A label moved on this replica: reload now rather than at the next interval."""
        await self.refresh()

    async def start(self) -> None:
        """Load once, then keep fresh in the background until `stop`."""
        await self.refresh()
        if self._task is None:
            self._task = asyncio.create_task(self._keep_fresh(), name="prompt label refresh")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for loading in list(self._loading.values()):
            loading.cancel()

    async def _keep_fresh(self) -> None:
        while True:
            await asyncio.sleep(max(self._next_at - self._clock.now(), 0.05))
            try:
                await self.tick()
            except Exception:  # refresh() handles the store's failures; this is a bug
                log.exception("prompt label refresh failed")

    async def _preload(self, labels: Iterable[PromptLabel]) -> None:
        wanted = {
            (item.name, target.version)
            for item in labels
            for target in item.targets
            if (item.name, target.version) not in self._versions
        }
        for key in sorted(wanted):
            await self._fetch(key)

    async def _load_one(self, key: VersionKey) -> LoadedVersion | None:
        async with asyncio.timeout(self._timeout_s):
            return await self._fetch(key)

    async def _fetch(self, key: VersionKey) -> LoadedVersion | None:
        """Read one version into the cache (the store's errors propagate)."""
        loaded = self._versions.get(key)
        if loaded is not None:
            return loaded
        stored = await self._store.get_version(*key)
        if stored is None:
            if len(self._missing) >= _MAX_MISSING:
                self._missing.clear()
            self._missing[key] = self._clock.now() + self._refresh_s
            return None
        loaded = load_version(stored)
        self._versions[key] = loaded
        self._missing.pop(key, None)
        return loaded

    def __repr__(self) -> str:
        return f"PromptCache(labels={len(self._labels)}, versions={len(self._versions)})"


def _describe(error: BaseException) -> str:
    """The kind of a failure and its message; a store's message names no credentials."""
    if isinstance(error, TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {error}"
