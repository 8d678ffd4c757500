"""`sluicegate keys …`: issue, list, show, change, rotate and revoke gateway keys.

A key is printed once, when it is made; the database keeps only its hash, so nobody can show it
again. The work is done by `admin.keys.KeyAdmin`, the same code the admin API runs, so every
change is validated and appended to the audit log alike (with the actor `cli`). A running
gateway re-reads a key at least once a second (its key cache), so a revocation reaches every
replica within 1 s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from sluicegate.admin.key_specs import KeyChanges, KeySpec
from sluicegate.admin.keys import KeyAdmin, KeyNotRotatable
from sluicegate.cli.arguments import checked, parsed
from sluicegate.cli.database import ConfigOption, UrlOption
from sluicegate.cli.key_views import (
    describe,
    later,
    parse_duration,
    parse_expiry,
    parse_models,
    print_new_key,
    print_record,
    print_table,
    show_time,
)
from sluicegate.cli.output_format import FormatOption, check_format, print_many, print_one
from sluicegate.cli.store_access import database_to_write, failure, usage_error, with_stores
from sluicegate.core.budget import DEFAULT_ALERT_AT, Budget, parse_budget
from sluicegate.core.clock import SystemClock
from sluicegate.core.errors import InvalidRequest, NotFound
from sluicegate.core.identity import KeyRecord, Role
from sluicegate.policies.api_keys import KEY_PREFIX

if TYPE_CHECKING:
    from sluicegate.stores.sql import SqlStores

T = TypeVar("T")

ACTOR = "cli"
REVOCATION_DELAY = "a running gateway stops accepting it within 1 s (the lifetime of its key cache)"

keys_app = typer.Typer(
    help="Issue, list, show, change, rotate and revoke gateway keys (only their hashes are "
    "stored).",
    no_args_is_help=True,
)

KeyIdArgument = Annotated[
    str, typer.Argument(help="The key id (12 hex digits), as `keys list` shows.")
]
ModelsOption = Annotated[
    str | None,
    typer.Option(help="Models the key may call, comma separated; all when omitted."),
]
TpmOption = Annotated[int | None, typer.Option(min=1, help="Tokens per minute.")]
RpmOption = Annotated[int | None, typer.Option(min=1, help="Requests per minute.")]
ConcurrencyOption = Annotated[int | None, typer.Option(min=1, help="Requests in flight at once.")]
BudgetOption = Annotated[
    str | None,
    typer.Option(help="The key's own spending budget: 50USD/month, 5USD/day or 200USD/week."),
]
BudgetAlertOption = Annotated[
    float | None,
    typer.Option(
        help=f"Share of the budget at which an alert is logged (default {DEFAULT_ALERT_AT})."
    ),
]
ExpiresOption = Annotated[
    str | None,
    typer.Option(help="30d, 12h, a date (2027-01-31, 00:00 UTC) or an ISO 8601 time."),
]
CLEARABLE = ("models", "tpm", "rpm", "max-concurrency", "budget", "expires")


# --- running against the database ----------------------------------------------------------------


def _with_admin(url: str, work: Callable[[KeyAdmin], Awaitable[T]]) -> T:
    """Run `work` with a KeyAdmin on the database; its refusals become messages and exit
    codes (bad input 2, an unknown or dead key 1)."""

    async def with_admin(stores: SqlStores) -> T:
        return await work(KeyAdmin(stores.keys, stores.audit, SystemClock()))

    try:
        return with_stores(url, with_admin)
    except NotFound as error:
        failure(f"{error.message}; `sluicegate keys list` shows the ids")
    except KeyNotRotatable as error:
        failure(
            f"key {error.key_id} is {error.state}; create a new key with `sluicegate keys create`"
        )
    except InvalidRequest as error:
        usage_error(error.message)


def _key_id(value: str) -> str:
    """The id argument; a pasted key is refused without echoing it."""
    if value.startswith(KEY_PREFIX):
        usage_error(
            "that is a key, not a key id: give the 12-hex-digit id `sluicegate keys list` "
            "shows (a key is never needed here, nor should it be typed on a command line)"
        )
    return value.strip()


def _text(option: str, value: str) -> str:
    value = value.strip()
    if not value or not value.isprintable():
        usage_error(f"{option} must not be empty and must be printable text")
    return value


def _expiry(now: datetime) -> Callable[[str], datetime]:
    return lambda text: parse_expiry(text, now)


def _budget(text: str | None, alert: float | None) -> Budget | None:
    if text is None:
        if alert is not None:
            usage_error("--budget-alert needs --budget (the budget it is a share of)")
        return None
    budget = parsed("--budget", text, parse_budget)
    if alert is None:
        return budget
    return parsed("--budget-alert", str(alert), lambda _: parse_budget(text, alert_at=alert))


# --- commands ------------------------------------------------------------------------------------


@keys_app.command("create")
def create_command(
    name: Annotated[str, typer.Option(help="What the key is for, e.g. the application's name.")],
    team: Annotated[str, typer.Option(help="The team the key belongs to (and is charged to).")],
    role: Annotated[
        Role, typer.Option(help="app: call models; operator: read usage and health; admin: all.")
    ] = Role.APP,
    models: ModelsOption = None,
    tpm: TpmOption = None,
    rpm: RpmOption = None,
    max_concurrency: ConcurrencyOption = None,
    budget: BudgetOption = None,
    budget_alert: BudgetAlertOption = None,
    expires: ExpiresOption = None,
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    now = datetime.now(UTC)
    name, team = _text("--name", name), _text("--team", team)
    allowed = frozenset() if models is None else parsed("--models", models, parse_models)
    expires_at = None if expires is None else parsed("--expires", expires, _expiry(now))
    spending = _budget(budget, budget_alert)
    spec = checked(
        lambda: KeySpec(
            name=name,
            team=team,
            role=role,
            models=allowed,
            tpm=tpm,
            rpm=rpm,
            max_concurrency=max_concurrency,
            budget=spending,
            expires_at=expires_at,
        )
    )
    url = database_to_write(database_url, config)
    record, key = _with_admin(url, lambda admin: admin.create(spec, ACTOR))
    typer.echo(
        f"Created key {record.key_id} ('{record.name}', team {record.team}, role {record.role})."
    )
    print_new_key(key)


@keys_app.command("list")
def list_command(
    team: Annotated[str | None, typer.Option(help="Only the keys of this team.")] = None,
    output: FormatOption = "table",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """List keys (never their secrets or hashes), oldest first."""
    check_format(output)
    url = database_to_write(database_url, config)
    records = _with_admin(url, lambda admin: admin.list(team))
    now = datetime.now(UTC)
    print_many(
        output,
        records,
        lambda record: describe(record, now),
        lambda listed: print_table(listed, now),
        empty=f"no keys{f' in team {team!r}' if team else ''}",
    )


@keys_app.command("show")
def show_command(
    key_id: KeyIdArgument,
    output: FormatOption = "table",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Show one key (never its secret or hash)."""
    key_id = _key_id(key_id)
    check_format(output)
    url = database_to_write(database_url, config)
    record = _with_admin(url, lambda admin: admin.get(key_id))
    _show(record, output)


def _show(record: KeyRecord, output: str) -> None:
    now = datetime.now(UTC)
    print_one(
        output, record, lambda shown: describe(shown, now), lambda shown: print_record(shown, now)
    )


@keys_app.command("update")
def update_command(
    key_id: KeyIdArgument,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    team: Annotated[str | None, typer.Option(help="Move the key to this team.")] = None,
    role: Annotated[Role | None, typer.Option(help="A new role.")] = None,
    models: ModelsOption = None,
    tpm: TpmOption = None,
    rpm: RpmOption = None,
    max_concurrency: ConcurrencyOption = None,
    budget: BudgetOption = None,
    budget_alert: BudgetAlertOption = None,
    expires: ExpiresOption = None,
    clear: Annotated[
        list[str] | None,
        typer.Option(
            help=f"Remove a setting (repeatable): {', '.join(CLEARABLE)}; `models` allows "
            "every model again."
        ),
    ] = None,
    output: FormatOption = "table",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Change what a key may do (the key itself stays the same); unnamed settings are kept."""
    key_id = _key_id(key_id)
    check_format(output)
    now = datetime.now(UTC)
    cleared = set(clear or ())
    unknown = sorted(cleared - set(CLEARABLE))
    if unknown:
        usage_error(f"--clear {unknown[0]!r}: use one of {', '.join(CLEARABLE)}")
    given = {
        "models": models,
        "tpm": tpm,
        "rpm": rpm,
        "max-concurrency": max_concurrency,
        "budget": budget,
        "expires": expires,
    }
    both = sorted(option for option in cleared if given[option] is not None)
    if both:
        usage_error(f"--{both[0]} and --clear {both[0]}: give one or the other")
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = _text("--name", name)
    if team is not None:
        changes["team"] = _text("--team", team)
    if role is not None:
        changes["role"] = role
    if models is not None:
        changes["models"] = parsed("--models", models, parse_models)
    for option, field, value in (
        ("tpm", "tpm", tpm),
        ("rpm", "rpm", rpm),
        ("max-concurrency", "max_concurrency", max_concurrency),
    ):
        if value is not None or option in cleared:
            changes[field] = value
    if budget is not None:
        changes["budget"] = _budget(budget, budget_alert)
    elif budget_alert is not None:
        changes["budget_alert_at"] = budget_alert
    if "budget" in cleared:
        if budget_alert is not None:
            usage_error("--budget-alert and --clear budget: give one or the other")
        changes["budget"] = None
    if expires is not None:
        changes["expires_at"] = parsed("--expires", expires, _expiry(now))
    if "models" in cleared:
        changes["models"] = frozenset()
    if "expires" in cleared:
        changes["expires_at"] = None
    if not changes:
        usage_error("nothing to change: give at least one setting, or --clear one")
    change = checked(lambda: KeyChanges(**changes))  # type: ignore[arg-type]
    url = database_to_write(database_url, config)
    record = _with_admin(url, lambda admin: admin.update(key_id, change, ACTOR))
    if output == "table":
        typer.echo(f"Updated key {record.key_id}; a running gateway applies it within 1 s.")
    _show(record, output)


@keys_app.command("revoke")
def revoke_command(
    key_id: KeyIdArgument, database_url: UrlOption = None, config: ConfigOption = None
) -> None:
    """Revoke a key now; every running gateway refuses it within 1 s."""
    key_id = _key_id(key_id)
    url = database_to_write(database_url, config)
    now = datetime.now(UTC)
    record = _with_admin(url, lambda admin: admin.revoke(key_id, ACTOR))
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
    """Replace a key by a new one with the same name, team, role, models, limits and budget."""
    key_id = _key_id(key_id)
    now = datetime.now(UTC)
    grace_period = parsed("--grace", grace, parse_duration)
    parsed("--grace", grace, lambda _: later(now, grace_period))
    new_expiry = None if expires is None else parsed("--expires", expires, _expiry(now))
    url = database_to_write(database_url, config)

    async def work(admin: KeyAdmin) -> tuple[KeyRecord, str, datetime]:
        new, key = await admin.rotate(key_id, ACTOR, grace=grace_period, expires_at=new_expiry)
        retired = await admin.get(key_id)
        return new, key, retired.revoked_at or admin.now() + grace_period

    new, key, until = _with_admin(url, work)
    typer.echo(f"Rotated key {key_id} to {new.key_id} ('{new.name}', team {new.team}).")
    print_new_key(key)
    if until <= datetime.now(UTC):
        typer.echo(f"The old key {key_id} is revoked; {REVOCATION_DELAY}.")
    else:
        typer.echo(f"The old key {key_id} keeps working until {show_time(until)}.")
