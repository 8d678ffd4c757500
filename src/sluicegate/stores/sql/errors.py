"""The SQL stores' own errors: callers never see a driver's (asyncpg, sqlite3) exceptions.

Messages name what the store was doing and the kind of failure, never SQL parameters (key
hashes, for instance) or connection URLs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import exc as sa_exc

from sluicegate.core.errors import GatewayError

_DRIVER_PACKAGES = frozenset({"asyncpg", "sqlite3", "aiosqlite"})
_MISSING_SCHEMA_STATES = frozenset({"42P01", "3F000"})
"""PostgreSQL SQLSTATEs: undefined table, undefined schema."""
_TRANSIENT_STATE_CLASSES = ("08", "40", "53", "57P")
"""Connection lost, serialisation failure or deadlock, out of resources, server shutting down."""


class StoreError(GatewayError):
    """The database refused or failed an operation."""

    status = 500
    error_type = "server_error"
    code = "store_error"


class StoreUnavailable(StoreError):
    """The database cannot be reached, is locked, or timed out; trying again later may work."""

    status = 503
    code = "store_unavailable"
    retryable = True


class DuplicateKey(StoreError, ValueError):
    """A key with the same id or the same hash is already stored.

    Also a ValueError, like the in-memory key store's duplicate error, so callers can handle
    both stores alike.
    """

    status = 409
    error_type = "invalid_request_error"
    code = "duplicate_key"


def is_driver_error(error: BaseException) -> bool:
    if isinstance(error, sa_exc.SQLAlchemyError | OSError | TimeoutError):
        return True
    return type(error).__module__.split(".")[0] in _DRIVER_PACKAGES


def translate(error: BaseException, doing: str) -> StoreError:
    """The store error that stands for a driver's exception raised while `doing` something."""
    origin = getattr(error, "orig", None) or error
    kind = type(origin).__name__
    state = str(getattr(origin, "sqlstate", "") or "")
    if state in _MISSING_SCHEMA_STATES or "no such table" in str(origin).lower():
        return StoreError(
            f"the database schema is missing or out of date while {doing}: "
            "run `sluicegate db upgrade`"
        )
    if _unavailable(error) or state.startswith(_TRANSIENT_STATE_CLASSES):
        return StoreUnavailable(f"the database is unavailable while {doing} ({kind})")
    return StoreError(f"the database failed while {doing} ({kind})")


def _unavailable(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    transient = (
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.TimeoutError,
        sa_exc.DisconnectionError,
        OSError,
        TimeoutError,
    )
    if isinstance(error, transient):
        return True
    name = type(error).__name__
    return "Connection" in name or "CannotConnect" in name or "TooManyConnections" in name


@asynccontextmanager
async def translated(doing: str) -> AsyncIterator[None]:
    """Turn driver exceptions raised inside the block into `StoreError`s."""
    try:
        yield
    except StoreError:
        raise
    except Exception as error:
        if not is_driver_error(error):
            raise
        raise translate(error, doing) from error
