"""`sluicegate keys …`: issue, list, show, rotate and revoke gateway keys.

A key is printed once, when it is made; the database keeps only its hash, so nobody can show it
again. Every change is appended to the audit log. A running gateway re-reads a key at least once
a second (its key cache), so a revocation reaches every replica within 1 s.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from sluicegate.cli.database import ConfigOption, UrlOption, database_url
from sluicegate.cli.key_views import (
    describe,
    iso,
    later,
    parse_duration,
    parse_expiry,
    parse_models,
    print_new_key,
    print_record,
    print_table,
    show_time,
    status_of,
)
from sluicegate.config.loader import ConfigError, load_config
from sluicegate.core.identity import KeyRecord, Limits, Role
from sluicegate.policies.api_keys import KEY_PREFIX, generate_key, hash_key

if TYPE_CHECKING:
    from sluicegate.stores.sql import SqlStores

T = TypeVar("T")

ACTOR = "cli"
REVOCATION_DELAY = "a running gateway stops accepting it within 1 s (the lifetime of its key cache)"

keys_app = typer.Typer(
    help="Issue, list, show, rotate and revoke gateway keys (only their hashes are stored).",
    no_args_is_help=True,
)

KeyIdArgument = Annotated[
    str, typer.Argument(help="The key id (12 hex digits), as `keys list` shows.")
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table (text) or json.")]


# --- running against the database ----------------------------------------------------------------


def _usage_error(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _failure(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _resolve_url(url: str | None, config: Path | None) -> str:
    from sluicegate.stores.sql.database import parse_url

    try:
        resolved = database_url(url, load_config(config) if config is not None else None)
    except ConfigError as error:
        _usage_error(str(error))
    try:
        parse_url(resolved)
    except ValueError as error:
        _usage_error(str(error))
    return resolved


def _with_stores(url: str, work: Callable[[SqlStores], Awaitable[T]]) -> T:
    """Open the stores (SQLite is upgraded, PostgreSQL must be current), run `work`, close."""
    from sluicegate.stores.sql import StoreError, open_sql_stores

    async def main() -> T:
        stores = await open_sql_stores(url)
        try:
            return await work(stores)
        finally:
            await stores.close()

    try:
        return asyncio.run(main())
    except StoreError as error:
        _failure(str(error))


async def _audit(stores: SqlStores, at: datetime, action: str, target: str, **details: Any) -> None:
    from sluicegate.core.ledger import AuditEntry

    await stores.audit.append(AuditEntry(at, ACTOR, action, target, details))


def _creation_details(record: KeyRecord) -> dict[str, Any]:
    shown = describe(record, record.created_at or datetime.now(UTC))
    return {
        name: shown[name] for name in ("name", "team", "role", "models", "limits", "expires_at")
    }


def _key_id(value: str) -> str:
    """The id argument; a pasted key is refused without echoing it."""
    if value.startswith(KEY_PREFIX):
        _usage_error(
            "that is a key, not a key id: give the 12-hex-digit id `sluicegate keys list` "
            "shows (a key is never needed here, nor should it be typed on a command line)"
        )
    return value.strip()


async def _require(stores: SqlStores, key_id: str) -> KeyRecord:
    record = await stores.keys.get(key_id)
    if record is None:
        _failure(f"no key with id '{key_id}'; `sluicegate keys list` shows the ids")
    return record


def _check_format(output: str) -> None:
    if output not in ("table", "json"):
        _usage_error(f"--format {output!r}: use table or json")


def _text(option: str, value: str) -> str:
    value = value.strip()
    if not value or not value.isprintable():
        _usage_error(f"{option} must not be empty and must be printable text")
    return value


def _parsed(option: str, value: str, parse: Callable[[str], T]) -> T:
    try:
        return parse(value)
    except ValueError as error:
        _usage_error(f"{option} {value!r}: {error}")


# --- commands ------------------------------------------------------------------------------------


@keys_app.command("create")
def create_command(
    name: Annotated[str, typer.Option(help="What the key is for, e.g. the application's name.")],
    team: Annotated[str, typer.Option(help="The team the key belongs to (and is charged to).")],
    role: Annotated[
        Role, typer.Option(help="app: call models; operator: read usage and health; admin: all.")
    ] = Role.APP,
    models: Annotated[
        str | None,
        typer.Option(help="Models the key may call, comma separated; all when omitted."),
    ] = None,
    tpm: Annotated[int | None, typer.Option(min=1, help="Tokens per minute.")] = None,
    rpm: Annotated[int | None, typer.Option(min=1, help="Requests per minute.")] = None,
    max_concurrency: Annotated[
        int | None, typer.Option(min=1, help="Requests in flight at once.")
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(help="30d, 12h, a date (2027-01-31, 00:00 UTC) or an ISO 8601 time."),
    ] = None,
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    now = datetime.now(UTC)
    key, key_id = generate_key()
    record = KeyRecord(
        key_id=key_id,
        key_hash=hash_key(key),
        name=_text("--name", name),
        team=_text("--team", team),
        role=role,
        models=frozenset() if models is None else _parsed("--models", models, parse_models),
        limits=Limits(tpm=tpm, rpm=rpm, max_concurrency=max_concurrency),
        created_at=now,
        expires_at=None if expires is None else _parsed("--expires", expires, _expiry(now)),
    )
    url = _resolve_url(database_url, config)

    async def work(stores: SqlStores) -> None:
        await stores.keys.add(record)
        await _audit(stores, now, "key.create", key_id, **_creation_details(record))

    _with_stores(url, work)
    typer.echo(f"Created key {key_id} ('{record.name}', team {record.team}, role {record.role}).")
    print_new_key(key)


def _expiry(now: datetime) -> Callable[[str], datetime]:
    return lambda text: parse_expiry(text, now)


@keys_app.command("list")
def list_command(
    team: Annotated[str | None, typer.Option(help="Only the keys of this team.")] = None,
    output: FormatOption = "table",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """List keys (never their secrets or hashes), oldest first."""
    _check_format(output)
    url = _resolve_url(database_url, config)

    async def work(stores: SqlStores) -> list[KeyRecord]:
        return await stores.keys.list(team)

    records = _with_stores(url, work)
    now = datetime.now(UTC)
    if output == "json":
        typer.echo(json.dumps([describe(record, now) for record in records], indent=2))
    elif not records:
        typer.echo(f"no keys{f' in team {team!r}' if team else ''}")
    else:
        print_table(records, now)


@keys_app.command("show")
def show_command(
    key_id: KeyIdArgument,
    output: FormatOption = "table",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Show one key (never its secret or hash)."""
    key_id = _key_id(key_id)
    _check_format(output)
    url = _resolve_url(database_url, config)

    async def work(stores: SqlStores) -> KeyRecord:
        return await _require(stores, key_id)

    record = _with_stores(url, work)
    now = datetime.now(UTC)
    if output == "json":
        typer.echo(json.dumps(describe(record, now), indent=2))
    else:
        print_record(record, now)


@keys_app.command("revoke")
def revoke_command(
    key_id: KeyIdArgument, database_url: UrlOption = None, config: ConfigOption = None
) -> None:
    """Revoke a key now; every running gateway refuses it within 1 s."""
    key_id = _key_id(key_id)
    url = _resolve_url(database_url, config)
    now = datetime.now(UTC)

    async def work(stores: SqlStores) -> KeyRecord:
        await _require(stores, key_id)
        await stores.keys.revoke(key_id, now)
        record = await _require(stores, key_id)
        revoked_at = record.revoked_at or now
        earlier = revoked_at < now
        await _audit(
            stores, now, "key.revoke", key_id, revoked_at=iso(revoked_at), already_revoked=earlier
        )
        return record

    record = _with_stores(url, work)
    if record.revoked_at is not None and record.revoked_at < now:
        typer.echo(f"Key {key_id} was already revoked at {show_time(record.revoked_at)}.")
        return
    typer.echo(
        f"Revoked key {key_id} ('{record.name}', team {record.team}) at {show_time(now)}; "
        f"{REVOCATION_DELAY}."
    )


@keys_app.command("rotate")
def rotate_command(
    key_id: KeyIdArgument,
    grace: Annotated[
        str,
        typer.Option(help="How long the old key keeps working (e.g. 1h, 30m); 0 revokes it now."),
    ] = "0",
    expires: Annotated[
        str | None,
        typer.Option(help="Expiry of the new key; by default it gets the old key's lifetime."),
    ] = None,
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Replace a key by a new one with the same name, team, role, models and limits."""
    key_id = _key_id(key_id)
    now = datetime.now(UTC)
    grace_period = _parsed("--grace", grace, parse_duration)
    _parsed("--grace", grace, lambda _: later(now, grace_period))
    new_expiry = None if expires is None else _parsed("--expires", expires, _expiry(now))
    url = _resolve_url(database_url, config)
    key, new_id = generate_key()

    async def work(stores: SqlStores) -> tuple[KeyRecord, datetime]:
        old = await _require(stores, key_id)
        state = status_of(old, now)
        if state in ("revoked", "expired"):
            _failure(f"key {key_id} is {state}; create a new key with `sluicegate keys create`")
        expiry = new_expiry or _same_lifetime(old, now)
        new = replace(
            old,
            key_id=new_id,
            key_hash=hash_key(key),
            created_at=now,
            expires_at=expiry,
            revoked_at=None,
        )
        await stores.keys.add(new)
        await stores.keys.revoke(key_id, now + grace_period)
        retired = await _require(stores, key_id)
        until = retired.revoked_at or now + grace_period
        await _audit(
            stores, now, "key.create", new_id, **_creation_details(new), rotated_from=key_id
        )
        await _audit(
            stores,
            now,
            "key.rotate",
            key_id,
            replaced_by=new_id,
            revoked_at=iso(until),
            grace_seconds=grace_period.total_seconds(),
        )
        return new, until

    new, until = _with_stores(url, work)
    typer.echo(f"Rotated key {key_id} to {new.key_id} ('{new.name}', team {new.team}).")
    print_new_key(key)
    if until <= now:
        typer.echo(f"The old key {key_id} is revoked; {REVOCATION_DELAY}.")
    else:
        typer.echo(f"The old key {key_id} keeps working until {show_time(until)}.")


def _same_lifetime(old: KeyRecord, now: datetime) -> datetime | None:
    if old.expires_at is None:
        return None
    if old.created_at is None:
        return old.expires_at
    return now + (old.expires_at - old.created_at)
