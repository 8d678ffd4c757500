"""Driver exceptions become the stores' own errors, with messages safe to show."""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc

from sluicegate.core.errors import GatewayError
from sluicegate.stores.sql import DuplicateKey, StoreError, StoreUnavailable
from sluicegate.stores.sql.errors import translate, translated

SECRET_PARAMS = {"key_hash": "hash-that-must-not-leak"}


class FakePgError(Exception):
    """Shaped like asyncpg's errors as SQLAlchemy wraps them: they carry a SQLSTATE."""

    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def wrapped(cls: type[sa_exc.DBAPIError], orig: Exception) -> sa_exc.DBAPIError:
    return cls("SELECT * FROM api_keys WHERE key_hash = ?", SECRET_PARAMS, orig)


def test_operational_errors_are_unavailable_and_retryable() -> None:
    error = translate(wrapped(sa_exc.OperationalError, Exception("database is locked")), "x")
    assert isinstance(error, StoreUnavailable)
    assert error.status == 503
    assert error.retryable


@pytest.mark.parametrize(
    "raw", [ConnectionRefusedError(111, "refused"), TimeoutError(), sa_exc.TimeoutError("pool")]
)
def test_connection_failures_are_unavailable(raw: Exception) -> None:
    assert isinstance(translate(raw, "reading"), StoreUnavailable)


@pytest.mark.parametrize("state", ["08006", "57P01", "53300", "40001"])
def test_transient_postgresql_states_are_unavailable(state: str) -> None:
    error = translate(wrapped(sa_exc.DBAPIError, FakePgError("boom", state)), "x")
    assert isinstance(error, StoreUnavailable)


@pytest.mark.parametrize(
    "orig", [FakePgError('relation "api_keys" does not exist', "42P01"), Exception("no such table")]
)
def test_missing_tables_say_how_to_fix_them(orig: Exception) -> None:
    error = translate(wrapped(sa_exc.ProgrammingError, orig), "looking up a key")
    assert type(error) is StoreError
    assert "run `sluicegate db upgrade`" in error.message
    assert "looking up a key" in error.message


def test_other_failures_are_store_errors_that_name_the_action() -> None:
    error = translate(wrapped(sa_exc.IntegrityError, Exception("CHECK failed")), "adding a key")
    assert type(error) is StoreError
    assert error.status == 500
    assert error.message == "the database failed while adding a key (Exception)"


def test_messages_never_carry_sql_parameters() -> None:
    for cls in (sa_exc.OperationalError, sa_exc.IntegrityError, sa_exc.ProgrammingError):
        error = translate(wrapped(cls, Exception("hash-that-must-not-leak")), "x")
        assert "hash-that-must-not-leak" not in str(error)


async def test_translated_turns_driver_errors_into_store_errors() -> None:
    with pytest.raises(StoreUnavailable) as raised:
        async with translated("writing"):
            raise wrapped(sa_exc.OperationalError, Exception("disk I/O error"))
    assert isinstance(raised.value.__cause__, sa_exc.OperationalError)


async def test_translated_leaves_other_errors_and_store_errors_alone() -> None:
    with pytest.raises(KeyError):
        async with translated("writing"):
            raise KeyError("a bug, not the database")
    with pytest.raises(DuplicateKey):
        async with translated("writing"):
            raise DuplicateKey("dup")


def test_store_errors_join_the_gateway_error_tree() -> None:
    duplicate = DuplicateKey("dup")
    assert isinstance(duplicate, GatewayError)
    assert isinstance(duplicate, ValueError)
    assert duplicate.status == 409
    assert issubclass(StoreUnavailable, StoreError)
