"""`sluicegate teams …`: create, change, list, show and delete managed teams.

A managed team replaces the config's entries for that team (`auth.teams.<name>.models` and
`quotas.teams.<name>`) as a whole; a team only in the config keeps working. The work is done by
`admin.teams.TeamAdmin`, as for the admin API, so both validate and audit alike. Bad input exits
with 2, a refusal (no such team, a name taken, keys still in the team) with 1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from sluicegate.admin.changes import KEEP, Keep
from sluicegate.admin.teams import TeamChanges, TeamSpec
from sluicegate.cli.admin_runs import run_admin
from sluicegate.cli.arguments import checked, parsed
from sluicegate.cli.database import ConfigOption, UrlOption
from sluicegate.cli.key_views import parse_models
from sluicegate.cli.keys import ACTOR
from sluicegate.cli.output_format import FormatOption, check_format, print_many, print_one
from sluicegate.cli.store_access import database_to_write, usage_error
from sluicegate.cli.team_views import describe, print_record, print_table
from sluicegate.core.budget import Budget, parse_budget
from sluicegate.core.identity import TeamRecord

if TYPE_CHECKING:
    from sluicegate.admin.teams import TeamAdmin
    from sluicegate.stores.sql import SqlStores

T = TypeVar("T")

LIST_HINT = "`sluicegate teams list` shows the managed teams"

teams_app = typer.Typer(
    help="Create, change, list, show and delete managed teams (model allow-list, TPM/RPM, "
    "budget); a managed team replaces the config's entries for that team.",
    no_args_is_help=True,
)

NameArgument = Annotated[
    str,
    typer.Argument(
        metavar="NAME", help="The team's name: 1 to 128 letters, digits, '_', '.', ':' or '-'."
    ),
]
ModelsOption = Annotated[
    str | None,
    typer.Option(
        metavar="MODELS",
        help="Models the team's keys and tokens may call, comma separated (* = all).",
    ),
]
TpmOption = Annotated[
    str | None,
    typer.Option(metavar="N", help="Tokens per minute shared by the whole team (0 or more)."),
]
RpmOption = Annotated[
    str | None,
    typer.Option(metavar="N", help="Requests per minute shared by the whole team (0 or more)."),
]
BudgetOption = Annotated[
    str | None,
    typer.Option(
        metavar="AMOUNT/PERIOD",
        help="Spending budget in USD per day, week or month, e.g. 50USD/month "
        "(alerts at 80 % unless --budget-alert says otherwise).",
    ),
]
AlertOption = Annotated[
    str | None,
    typer.Option(
        "--budget-alert",
        metavar="SHARE",
        help="Share of the budget spent when an alert is raised, above 0 and at most 1.",
    ),
]


# --- reading the command line --------------------------------------------------------------------


def _whole(option: str, text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = -1
    if value < 0:
        usage_error(f"{option} {text!r}: give a whole number, 0 or more")
    return value


def _share(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = 0.0
    if not 0 < value <= 1:
        usage_error(
            f"--budget-alert {text!r}: give the share of the budget spent when an alert is "
            "raised, above 0 and at most 1 (0.8 = 80 %)"
        )
    return value


def _models(text: str) -> frozenset[str]:
    return parsed("--models", text, parse_models)


def _budget(text: str, alert: str | None) -> Budget:
    alert_at = _share(alert) if alert is not None else None
    if alert_at is None:
        return parsed("--budget", text, parse_budget)
    return parsed("--budget", text, lambda value: parse_budget(value, alert_at))


def _exclusive(first: str, first_given: bool, second: str, second_given: bool) -> None:
    if first_given and second_given:
        usage_error(f"use either {first} or {second}, not both")


# --- running against the database ----------------------------------------------------------------


def _admin(stores: SqlStores) -> TeamAdmin:
    from sluicegate.admin.teams import TeamAdmin
    from sluicegate.core.clock import SystemClock

    return TeamAdmin(stores.teams, stores.keys, stores.audit, SystemClock())


def _run(url: str, work: Callable[[TeamAdmin], Awaitable[T]], *, hint: str = "") -> T:
    """Run `work` with a TeamAdmin on the database; a refusal is exit 1, bad input exit 2."""
    return run_admin(url, _admin, work, list_hint=LIST_HINT, hint=hint)


def _announce(what: str, record: TeamRecord) -> None:
    typer.echo(f"{what} team {record.name}.")
    print_record(record)


def _nothing_to_change() -> NoReturn:
    usage_error(
        "nothing to change: give at least one of --models, --all-models, --tpm, --clear-tpm, "
        "--rpm, --clear-rpm, --budget, --budget-alert or --clear-budget"
    )


# --- commands ------------------------------------------------------------------------------------


@teams_app.command("create")
def create_command(
    name: NameArgument,
    models: ModelsOption = None,
    tpm: TpmOption = None,
    rpm: RpmOption = None,
    budget: BudgetOption = None,
    budget_alert: AlertOption = None,
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Create a managed team; with no options its keys may call every model, unlimited."""
    if budget_alert is not None and budget is None:
        usage_error("--budget-alert needs --budget")
    spec = checked(
        lambda: TeamSpec(
            name=name,
            models=frozenset() if models is None else _models(models),
            tpm=None if tpm is None else _whole("--tpm", tpm),
            rpm=None if rpm is None else _whole("--rpm", rpm),
            budget=None if budget is None else _budget(budget, budget_alert),
        )
    )
    url = database_to_write(database_url, config)

    async def work(admin: TeamAdmin) -> TeamRecord:
        return await admin.create(spec, ACTOR)

    hint = f"; change it with `sluicegate teams update {spec.name}`"
    _announce("Created", _run(url, work, hint=hint))


@teams_app.command("update")
def update_command(
    name: NameArgument,
    models: ModelsOption = None,
    all_models: Annotated[
        bool, typer.Option("--all-models", help="Let the team call every model again.")
    ] = False,
    tpm: TpmOption = None,
    clear_tpm: Annotated[bool, typer.Option("--clear-tpm", help="Remove the TPM limit.")] = False,
    rpm: RpmOption = None,
    clear_rpm: Annotated[bool, typer.Option("--clear-rpm", help="Remove the RPM limit.")] = False,
    budget: BudgetOption = None,
    budget_alert: Annotated[
        str | None,
        typer.Option(
            "--budget-alert",
            metavar="SHARE",
            help="Share of the budget spent when an alert is raised, above 0 and at most 1; "
            "alone, it changes the alert of the team's current budget.",
        ),
    ] = None,
    clear_budget: Annotated[
        bool, typer.Option("--clear-budget", help="Remove the team's budget.")
    ] = False,
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Change some settings of a managed team; the others stay as they are."""
    _exclusive("--models", models is not None, "--all-models", all_models)
    _exclusive("--tpm", tpm is not None, "--clear-tpm", clear_tpm)
    _exclusive("--rpm", rpm is not None, "--clear-rpm", clear_rpm)
    _exclusive("--budget", budget is not None, "--clear-budget", clear_budget)
    _exclusive("--budget-alert", budget_alert is not None, "--clear-budget", clear_budget)
    new_models: frozenset[str] | Keep = KEEP
    if all_models:
        new_models = frozenset()
    elif models is not None:
        new_models = _models(models)
    new_budget: Budget | Keep | None = KEEP
    alert: float | Keep = KEEP
    if clear_budget:
        new_budget = None
    elif budget is not None:
        new_budget = _budget(budget, budget_alert)
    elif budget_alert is not None:
        alert = _share(budget_alert)
    changes = checked(
        lambda: TeamChanges(
            models=new_models,
            tpm=None if clear_tpm else KEEP if tpm is None else _whole("--tpm", tpm),
            rpm=None if clear_rpm else KEEP if rpm is None else _whole("--rpm", rpm),
            budget=new_budget,
            budget_alert_at=alert,
        )
    )
    if not changes.given():
        _nothing_to_change()
    url = database_to_write(database_url, config)

    async def work(admin: TeamAdmin) -> TeamRecord:
        return await admin.update(name, changes, ACTOR)

    _announce("Updated", _run(url, work))


@teams_app.command("list")
def list_command(
    output: FormatOption = "table", database_url: UrlOption = None, config: ConfigOption = None
) -> None:
    """List the managed teams by name (teams only in the config are not listed)."""
    check_format(output)
    url = database_to_write(database_url, config)

    async def work(admin: TeamAdmin) -> list[TeamRecord]:
        return await admin.list()

    print_many(output, _run(url, work), describe, print_table, empty="no managed teams")


@teams_app.command("show")
def show_command(
    name: NameArgument,
    output: FormatOption = "table",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Show one managed team."""
    check_format(output)
    url = database_to_write(database_url, config)

    async def work(admin: TeamAdmin) -> TeamRecord:
        return await admin.get(name)

    print_one(output, _run(url, work), describe, print_record)


@teams_app.command("delete")
def delete_command(
    name: NameArgument,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Delete even while keys of the team still work; they keep working and get "
            "the config's entries for the team, if any.",
        ),
    ] = False,
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Delete a managed team; refused while keys of the team still work, unless --force."""
    url = database_to_write(database_url, config)

    async def work(admin: TeamAdmin) -> int:
        active = await admin.active_keys(name)
        await admin.delete(name, ACTOR, force=force)
        return active

    active = _run(url, work, hint=f"; `sluicegate teams delete {name} --force` deletes it anyway")
    typer.echo(f"Deleted team {name}.")
    if active:
        typer.echo(
            f"Its {active} active key{'s' if active != 1 else ''} keep working, now with the "
            f"config's entries for team '{name}' (auth.teams, quotas.teams), if any."
        )
