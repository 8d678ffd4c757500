"""Rows read in one go, and records turned into rows and back.

The stores' records are dataclasses whose fields are named like their table's columns, so the
conversion is written once; a store spells out only the columns kept in another form (JSON
for a tuple of targets, say) or that the record does not carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import RowMapping, Select

from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.errors import translated

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Record = TypeVar("Record", bound="DataclassInstance")


async def read_rows(database: Database, query: Select[Any], doing: str) -> Sequence[RowMapping]:
    """Every row `query` selects; driver errors become store errors that name `doing`."""
    async with translated(doing), database.engine.connect() as conn:
        rows: Sequence[RowMapping] = (await conn.execute(query)).mappings().all()
    return rows


def row_of(record: DataclassInstance, **columns: Any) -> dict[str, Any]:
    """`record`'s fields as the values of the columns named like them; `columns` replaces the
    ones stored in another form and adds those the record does not carry."""
    return {field.name: getattr(record, field.name) for field in fields(record)} | columns


def record_of(kind: type[Record], row: RowMapping, **values: Any) -> Record:
    """A `kind` from the columns of `row` named like its fields; `values` gives the fields
    that are not read as they are stored."""
    read = {field.name: row[field.name] for field in fields(kind) if field.name not in values}
    return kind(**read, **values)
