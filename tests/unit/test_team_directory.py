"""TeamDirectory: managed teams over configured ones, a cache of at most a second, and what a
store failure falls back to; configured_teams from the auth and quota settings."""

from __future__ import annotations

import logging

import pytest

from sluicegate.config.auth import AuthSettings
from sluicegate.config.quotas import QuotaSettings
from sluicegate.core.budget import Budget, BudgetPeriod
from sluicegate.core.clock import ManualClock
from sluicegate.core.identity import Limits, TeamRecord
from sluicegate.policies.teams import MAX_TTL_S, TeamDirectory, configured_teams
from sluicegate.stores.teams_memory import MemoryTeamStore

CONFIGURED = {
    "search": TeamRecord("search", frozenset({"gpt-4o-mini"}), Limits(tpm=1_000)),
    "ads": TeamRecord("ads", budget=Budget(5.0, BudgetPeriod.DAY)),
}
MANAGED = TeamRecord(
    "search", frozenset({"gpt-4o"}), Limits(rpm=7), Budget(50.0, BudgetPeriod.MONTH)
)


class FlakyStore(MemoryTeamStore):
    """The memory store, whose reads fail while `down` is set, counting reads."""

    def __init__(self, *records: TeamRecord) -> None:
        super().__init__(records)
        self.down = False
        self.reads = 0

    async def get(self, name: str) -> TeamRecord | None:
        self.reads += 1
        if self.down:
            raise ConnectionError("database unreachable")
        return await super().get(name)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


# --- lookups -----------------------------------------------------------------------------------


async def test_without_a_store_the_config_answers(clock: ManualClock) -> None:
    directory = TeamDirectory(CONFIGURED, None, clock)
    assert await directory.get("search") == CONFIGURED["search"]
    assert await directory.get("ads") == CONFIGURED["ads"]
    assert await directory.get("nobody") is None


async def test_a_managed_team_replaces_the_configured_one_as_a_whole(clock: ManualClock) -> None:
    directory = TeamDirectory(CONFIGURED, MemoryTeamStore([MANAGED]), clock)
    found = await directory.get("search")
    assert found == MANAGED
    assert found is not None
    assert found.limits.tpm is None  # the config's tpm does not leak into the managed team


async def test_a_team_only_in_config_keeps_working(clock: ManualClock) -> None:
    directory = TeamDirectory(CONFIGURED, MemoryTeamStore([MANAGED]), clock)
    assert await directory.get("ads") == CONFIGURED["ads"]
    assert await directory.get("nobody") is None


async def test_a_team_only_in_the_store_is_found(clock: ManualClock) -> None:
    extra = TeamRecord("research", frozenset({"o1"}))
    directory = TeamDirectory({}, MemoryTeamStore([extra]), clock)
    assert await directory.get("research") == extra


async def test_the_configured_teams_are_copied(clock: ManualClock) -> None:
    configured = dict(CONFIGURED)
    directory = TeamDirectory(configured, None, clock)
    configured.clear()
    assert await directory.get("search") == CONFIGURED["search"]


# --- the cache ---------------------------------------------------------------------------------


async def test_lookups_are_cached_for_the_ttl_then_read_again(clock: ManualClock) -> None:
    store = FlakyStore(MANAGED)
    directory = TeamDirectory(CONFIGURED, store, clock)
    assert await directory.get("search") == MANAGED
    changed = TeamRecord("search", frozenset({"o1"}))
    await store.put(changed)
    clock.advance(0.999)
    assert await directory.get("search") == MANAGED  # still the cached record
    assert store.reads == 1
    clock.advance(0.001)
    assert await directory.get("search") == changed  # a change is seen within a second
    assert store.reads == 2


async def test_a_deleted_managed_team_falls_back_to_the_config_within_a_second(
    clock: ManualClock,
) -> None:
    store = MemoryTeamStore([MANAGED])
    directory = TeamDirectory(CONFIGURED, store, clock)
    assert await directory.get("search") == MANAGED
    await store.delete("search")
    assert await directory.get("search") == MANAGED
    clock.advance(MAX_TTL_S)
    assert await directory.get("search") == CONFIGURED["search"]


async def test_misses_are_cached_too(clock: ManualClock) -> None:
    store = FlakyStore()
    directory = TeamDirectory(CONFIGURED, store, clock)
    assert await directory.get("nobody") is None
    assert await directory.get("nobody") is None
    assert await directory.get("ads") == CONFIGURED["ads"]
    assert await directory.get("ads") == CONFIGURED["ads"]
    assert store.reads == 2
    created = TeamRecord("nobody")
    await store.put(created)
    clock.advance(1.0)
    assert await directory.get("nobody") == created


async def test_a_zero_ttl_reads_the_store_every_time(clock: ManualClock) -> None:
    store = FlakyStore(MANAGED)
    directory = TeamDirectory(CONFIGURED, store, clock, ttl=0)
    for _ in range(3):
        assert await directory.get("search") == MANAGED
    assert store.reads == 3


async def test_invalidate_forgets_one_team_or_all(clock: ManualClock) -> None:
    store = FlakyStore(MANAGED)
    directory = TeamDirectory(CONFIGURED, store, clock)
    await directory.get("search")
    await directory.get("ads")
    changed = TeamRecord("search", frozenset({"o1"}))
    await store.put(changed)
    directory.invalidate("search")
    assert await directory.get("search") == changed
    assert await directory.get("ads") == CONFIGURED["ads"]
    assert store.reads == 3
    directory.invalidate("never-seen")  # harmless
    directory.invalidate()
    await directory.get("search")
    await directory.get("ads")
    assert store.reads == 5


@pytest.mark.parametrize("ttl", [-0.1, 1.01, 5.0])
def test_ttl_is_at_most_a_second(clock: ManualClock, ttl: float) -> None:
    with pytest.raises(ValueError, match=r"ttl must be between 0 and 1\.0 s"):
        TeamDirectory({}, None, clock, ttl=ttl)


# --- store failures ----------------------------------------------------------------------------


async def test_a_store_failure_uses_the_last_known_record(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="sluicegate.teams")
    store = FlakyStore(MANAGED)
    directory = TeamDirectory(CONFIGURED, store, clock)
    assert await directory.get("search") == MANAGED
    store.down = True
    clock.advance(5.0)  # the cached record is stale, and the store cannot be read
    assert await directory.get("search") == MANAGED  # not the looser configured record
    assert store.reads == 2
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["cannot read team 'search' (ConnectionError); using the last known"]
    store.down = False
    await store.delete("search")
    assert await directory.get("search") == MANAGED  # the fallback holds for the ttl
    clock.advance(MAX_TTL_S)
    assert await directory.get("search") == CONFIGURED["search"]


async def test_a_store_failure_without_a_last_known_record_uses_the_config(
    clock: ManualClock,
) -> None:
    store = FlakyStore(MANAGED)
    store.down = True
    directory = TeamDirectory(CONFIGURED, store, clock)
    assert await directory.get("search") == CONFIGURED["search"]
    assert await directory.get("ads") == CONFIGURED["ads"]
    assert await directory.get("nobody") is None
    # A failure is remembered for the ttl, so an outage costs one read per team per second.
    reads = store.reads
    store.down = False
    assert await directory.get("search") == CONFIGURED["search"]
    assert store.reads == reads
    clock.advance(MAX_TTL_S)
    assert await directory.get("search") == MANAGED


async def test_a_last_known_miss_stays_a_miss_during_an_outage(clock: ManualClock) -> None:
    store = FlakyStore()
    directory = TeamDirectory(CONFIGURED, store, clock)
    assert await directory.get("nobody") is None
    store.down = True
    clock.advance(2.0)
    assert await directory.get("nobody") is None


# --- configured_teams ----------------------------------------------------------------------------


def test_configured_teams_merge_auth_and_quota_settings() -> None:
    auth = AuthSettings.model_validate(
        {"teams": {"search": {"models": ["gpt-4o", "gpt-4o-mini"]}, "open": {"models": ["*"]}}}
    )
    quotas = QuotaSettings.model_validate(
        {
            "teams": {
                "search": {"tpm": 10_000, "rpm": 60},
                "ads": {
                    "rpm": 5,
                    "budget": {"amount_usd": 200, "period": "week", "alert_at": 0.5},
                },
                "lab": {"budget": {"amount_usd": 12.5}},
            }
        }
    )
    teams = configured_teams(auth, quotas)
    assert list(teams) == ["ads", "lab", "open", "search"]
    assert teams["search"] == TeamRecord(
        "search", frozenset({"gpt-4o", "gpt-4o-mini"}), Limits(tpm=10_000, rpm=60)
    )
    assert teams["open"] == TeamRecord("open")  # `*` means every model
    assert teams["ads"] == TeamRecord(
        "ads", frozenset(), Limits(rpm=5), Budget(200.0, BudgetPeriod.WEEK, alert_at=0.5)
    )
    assert teams["lab"].budget == Budget(12.5, BudgetPeriod.MONTH, alert_at=0.8)
    assert teams["lab"].limits == Limits()


def test_a_star_among_other_models_still_means_every_model() -> None:
    auth = AuthSettings.model_validate({"teams": {"t": {"models": ["gpt-4o", "*"]}}})
    assert configured_teams(auth)["t"].models == frozenset()


def test_configured_teams_without_quotas_or_teams() -> None:
    assert configured_teams(AuthSettings()) == {}
    assert configured_teams(AuthSettings(), QuotaSettings()) == {}
    auth = AuthSettings.model_validate({"teams": {"search": {"models": ["gpt-4o"]}}})
    assert configured_teams(auth) == {"search": TeamRecord("search", frozenset({"gpt-4o"}))}


async def test_configured_teams_feed_the_directory(clock: ManualClock) -> None:
    quotas = QuotaSettings.model_validate(
        {"teams": {"search": {"budget": {"amount_usd": 3, "period": "day"}}}}
    )
    directory = TeamDirectory(configured_teams(AuthSettings(), quotas), MemoryTeamStore(), clock)
    found = await directory.get("search")
    assert found is not None
    assert found.budget == Budget(3.0, BudgetPeriod.DAY)
