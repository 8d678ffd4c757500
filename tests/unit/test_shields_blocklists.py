"""The blocklists in force: config lists, managed lists read from the store, and selections."""

from __future__ import annotations

import pytest

from sluicegate.config.safety import BlocklistSettings
from sluicegate.core.blocklists import BlocklistRecord
from sluicegate.policies.shields.blocklists import BlocklistCatalog
from sluicegate.safety.verdict import Verdict
from sluicegate.stores.blocklists_memory import MemoryBlocklistStore


def hits(verdict: Verdict) -> list[str]:
    return sorted(f.label for f in verdict.findings)


CONFIGURED = {
    "rivals": BlocklistSettings(terms=["contoso ai"]),
    "codes": BlocklistSettings(patterns=[r"\bproject\s+falcon\b"]),
}


async def test_config_lists_apply_without_a_store() -> None:
    catalog = BlocklistCatalog(CONFIGURED, None)
    await catalog.start()
    detect = catalog.detector(None)
    assert hits(detect("Compare us with Contoso AI on Project  Falcon")) == ["codes", "rivals"]
    assert hits(catalog.detector(["codes"])("contoso ai")) == []
    assert hits(catalog.detector(["missing"])("contoso ai")) == []
    await catalog.stop()


def test_a_bad_config_pattern_fails_at_start_up_naming_the_list() -> None:
    with pytest.raises(ValueError, match="broken"):
        BlocklistCatalog({"broken": BlocklistSettings(patterns=["(unclosed"])}, None)


class FailingStore(MemoryBlocklistStore):
    fail = False

    async def list(self) -> list[BlocklistRecord]:
        if self.fail:
            raise ConnectionError("database down")
        return await super().list()


async def test_managed_lists_are_read_replace_config_lists_and_survive_an_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FailingStore([BlocklistRecord("rivals", terms=("fabrikam",))])
    catalog = BlocklistCatalog(CONFIGURED, store)
    detect = catalog.detector(None)
    await catalog.refresh()
    assert hits(detect("fabrikam")) == ["rivals"]
    assert hits(detect("contoso ai")) == []  # the managed list replaced the config's
    await store.put(BlocklistRecord("extra", terms=("northwind",)))
    assert hits(detect("northwind")) == []  # not read yet
    await catalog.changed("extra")
    assert hits(detect("northwind")) == ["extra"]
    store.fail = True
    await catalog.refresh()
    assert hits(detect("northwind fabrikam")) == ["extra", "rivals"]
    assert "keeping the last ones" in caplog.text
    store.fail = False
    await store.delete("rivals")
    await catalog.refresh()
    assert hits(detect("contoso ai fabrikam")) == ["rivals"]  # the config's list is back


async def test_an_unusable_managed_list_is_skipped_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryBlocklistStore(
        [BlocklistRecord("bad", patterns=("(a+)+",)), BlocklistRecord("good", terms=("x1",))]
    )
    catalog = BlocklistCatalog({}, store)
    await catalog.refresh()
    assert catalog.names == ("good",)
    assert "'bad' cannot be used" in caplog.text
