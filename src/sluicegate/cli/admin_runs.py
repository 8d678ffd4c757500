"""Running one admin action against the database from a CLI command, with the exit codes the
commands share: a refusal (unknown name, conflict) is exit 1, bad input exit 2."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from sluicegate.cli.store_access import failure, usage_error, with_stores
from sluicegate.core.errors import Conflict, InvalidRequest, NotFound

if TYPE_CHECKING:
    from sluicegate.stores.sql import SqlStores

A = TypeVar("A")
T = TypeVar("T")


def run_admin(
    url: str,
    make_admin: Callable[[SqlStores], A],
    work: Callable[[A], Awaitable[T]],
    *,
    list_hint: str,
    hint: str = "",
) -> T:
    """Run `work` with the admin `make_admin` builds on the database's stores. `list_hint`
    follows a not-found message (which command lists what exists); `hint` a conflict's."""

    async def with_admin(stores: SqlStores) -> T:
        return await work(make_admin(stores))

    try:
        return with_stores(url, with_admin)
    except InvalidRequest as error:
        usage_error(error.message)
    except NotFound as error:
        failure(f"{error.message}; {list_hint}")
    except Conflict as error:
        failure(f"{error.message}{hint}")
