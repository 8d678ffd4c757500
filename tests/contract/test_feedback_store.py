"""The SQL feedback store and shared secrets on SQLite and PostgreSQL: one rating per request
and rater, updates that keep the creation time, summaries, export pages, and the migration."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, inspect
from tests.records import usage_record

from sluicegate.core.feedback import FeedbackTotals, Rating
from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.sql import Database, current_revision, downgrade, head_revision, upgrade
from sluicegate.stores.sql.feedback import SqlFeedbackStore
from sluicegate.stores.sql.secrets import SqlSharedSecrets

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RATED = T0 + timedelta(hours=1)


def usage(request_id: str, minute: int = 0, **fields: object) -> UsageRecord:
    return usage_record(
        request_id, T0 + timedelta(minutes=minute), **{"prompt_version": "v1", **fields}
    )


@pytest.fixture
def store(sql_db: Database) -> SqlFeedbackStore:
    return SqlFeedbackStore(sql_db)


async def test_a_first_rating_is_stored_with_its_request(store: SqlFeedbackStore) -> None:
    request = usage("r1", 3, backend=None, prompt_version=None)
    rating = Rating("up", 4.5, "helpful", "thanks", "Better: …")
    stored, created = await store.rate(request, "key-a", rating, RATED)
    assert created
    assert (stored.request_id, stored.rater, stored.subject, stored.team) == (
        "r1",
        "key-a",
        "key-a",
        "search",
    )
    assert (stored.model, stored.backend, stored.prompt_version) == ("gpt-4o", None, None)
    assert stored.request_at == T0 + timedelta(minutes=3)
    assert (stored.created_at, stored.updated_at) == (RATED, RATED)
    assert (stored.thumbs, stored.score, stored.label) == ("up", 4.5, "helpful")
    assert (stored.comment, stored.correction) == ("thanks", "Better: …")
    assert stored.id is not None
    assert await store.get("r1", "key-a") == stored
    assert await store.get("r1", "someone-else") is None


async def test_rating_again_changes_the_given_fields_and_keeps_the_creation_time(
    store: SqlFeedbackStore,
) -> None:
    first, _ = await store.rate(usage("r1"), "key-a", Rating(thumbs="down", score=2), RATED)
    later = RATED + timedelta(minutes=5)
    change = Rating(comment="wrong year", score=None, given=frozenset({"comment", "score"}))
    second, created = await store.rate(usage("r1"), "key-a", change, later)
    assert not created
    assert second.id == first.id
    assert (second.created_at, second.updated_at) == (RATED, later)
    assert (second.thumbs, second.score, second.comment) == ("down", None, "wrong year")
    assert len(await store.page()) == 1


async def test_each_rater_has_a_rating_of_their_own(store: SqlFeedbackStore) -> None:
    await store.rate(usage("r1"), "key-a", Rating(thumbs="down"), RATED)
    admin, created = await store.rate(usage("r1"), "key-admin", Rating(thumbs="up"), RATED)
    assert created
    assert admin.rater == "key-admin"
    owner = await store.get("r1", "key-a")
    assert owner is not None
    assert owner.thumbs == "down"
    assert len(await store.page()) == 2


async def test_racing_first_ratings_leave_one_row(store: SqlFeedbackStore) -> None:
    results = await asyncio.gather(
        *(
            store.rate(usage("r1"), "key-a", Rating(score=float(n)), RATED + timedelta(seconds=n))
            for n in range(1, 6)
        )
    )
    assert sum(created for _, created in results) == 1
    rows = await store.page()
    assert len(rows) == 1
    (creator,) = [record for record, created in results if created]
    assert rows[0].created_at == creator.created_at  # later racers updated, not replaced


async def test_summaries_group_and_sum_every_dimension(store: SqlFeedbackStore) -> None:
    ratings = [
        (usage("r1", 0), "key-a", Rating("up", 5, comment="great")),
        (usage("r2", 1), "key-a", Rating("up", 4)),
        (usage("r3", 2, prompt_version="v2"), "key-a", Rating("down", 1, correction="No.")),
        (usage("r4", 3, subject="key-b", model="gpt-4o-mini", backend="paygo-west",
               prompt_version=None, team="ads"), "key-b", Rating(score=3)),
        (usage("r5", 90), "key-a", Rating("down")),  # outside the first hour
    ]  # fmt: skip
    for request, rater, rating in ratings:
        await store.rate(request, rater, rating, RATED)
    hour = (T0, T0 + timedelta(hours=1))
    by_version = await store.summarize(["prompt_version"], *hour)
    assert by_version == [
        FeedbackTotals(("v1",), 2, 2, 0, 2, 9.0, 1, 0),
        FeedbackTotals(("v2",), 1, 0, 1, 1, 1.0, 0, 1),
        FeedbackTotals((None,), 1, 0, 0, 1, 3.0, 0, 0),
    ]
    assert [t.group for t in await store.summarize(["consumer"], *hour)] == [
        ("key-a",),
        ("key-b",),
    ]
    assert [(t.group, t.ratings) for t in await store.summarize(["backend", "model"])] == [
        (("paygo-west", "gpt-4o-mini"), 1),
        (("ptu-east", "gpt-4o"), 4),
    ]
    assert [(t.group, t.ratings) for t in await store.summarize(["team"], since=hour[1])] == [
        (("search",), 1)
    ]
    with pytest.raises(ValueError, match="cannot group"):
        await store.summarize(["key"])  # type: ignore[list-item]


async def test_pages_follow_the_ids_within_the_range(store: SqlFeedbackStore) -> None:
    for n in range(7):
        await store.rate(usage(f"r{n}", n), "key-a", Rating(score=3), RATED)
    first = await store.page(limit=3)
    second = await store.page(after_id=first[-1].id, limit=3)
    third = await store.page(after_id=second[-1].id, limit=3)
    assert [r.request_id for r in first + second + third] == [f"r{n}" for n in range(7)]
    ranged = await store.page(T0 + timedelta(minutes=2), T0 + timedelta(minutes=4))
    assert [r.request_id for r in ranged] == ["r2", "r3"]
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.page(datetime(2026, 3, 2))
    with pytest.raises(ValueError, match="limit"):
        await store.page(limit=0)


async def test_naive_times_are_refused(store: SqlFeedbackStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.rate(usage("r1"), "key-a", Rating(thumbs="up"), RATED.replace(tzinfo=None))
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(usage("r1"), at=datetime(2026, 3, 2))


async def test_a_shared_secret_is_created_once(sql_db: Database) -> None:
    first, second = SqlSharedSecrets(sql_db), SqlSharedSecrets(sql_db)
    values = await asyncio.gather(
        *(store.get_or_create("feedback-token-key", f"value-{n}") for n, store in
          enumerate([first, second, first, second]))
    )  # fmt: skip
    assert len(set(values)) == 1
    assert await second.get_or_create("feedback-token-key", "late") == values[0]
    assert await first.get_or_create("another", "other") == "other"


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_the_migration_adds_and_removes_the_tables(sql_db: Database) -> None:
    assert head_revision() >= "0004"
    await downgrade(sql_db, "0003")
    async with sql_db.engine.connect() as conn:
        assert not (await conn.run_sync(_tables)) & {"feedback", "gateway_secrets"}
    await upgrade(sql_db)
    assert await current_revision(sql_db) == head_revision()
    store = SqlFeedbackStore(sql_db)
    await store.rate(usage("r1"), "key-a", Rating(thumbs="up"), RATED)
    assert len(await store.page()) == 1
