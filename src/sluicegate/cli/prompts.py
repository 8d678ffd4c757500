"""`sluicegate prompts …`: push prompty files as versions, read and compare them, move labels.

The work is done by `admin.prompts.PromptAdmin`, as for the admin API, so both validate and
audit alike. Whoever can reach the database is an admin here: protected labels move too. Bad
input exits with 2; a refusal (no such prompt, version or label) or a store failure with 1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from sluicegate.cli.admin_runs import run_admin
from sluicegate.cli.arguments import checked
from sluicegate.cli.database import ConfigOption, UrlOption
from sluicegate.cli.exact_files import OutputFileOption, read_exact, write_exact
from sluicegate.cli.keys import ACTOR
from sluicegate.cli.output_format import FormatOption, check_format, print_many, print_one
from sluicegate.cli.prompt_views import (
    move_json,
    print_history,
    print_shown,
    print_summaries,
    print_versions,
    shown_json,
    summary_json,
    version_json,
)
from sluicegate.cli.store_access import (
    database_to_read,
    database_to_write,
    load_config_file,
    usage_error,
)
from sluicegate.core.identity import Role

if TYPE_CHECKING:
    from sluicegate.admin.evaluation_gate import EvaluationGate
    from sluicegate.admin.prompts import PromptAdmin
    from sluicegate.config.prompts import PromptSettings
    from sluicegate.stores.sql import SqlStores

T = TypeVar("T")

LIST_HINT = "`sluicegate prompts list` shows the prompts and their labels"

prompts_app = typer.Typer(
    help="The prompt registry: push prompty files as immutable versions, read and compare "
    "them, and point labels (production, staging, …) at versions.",
    no_args_is_help=True,
)

RefArgument = Annotated[
    str,
    typer.Argument(
        metavar="NAME[@REF]",
        help="A prompt (its latest version), NAME@v3 or NAME@3 (a version), NAME@LABEL.",
    ),
]
NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="The prompt's name.")]


# --- running against the database ----------------------------------------------------------------


def _gate(stores: SqlStores, settings: PromptSettings | None) -> EvaluationGate:
    """The promotion gate of `settings` (the `--config` file's): no label needs a run without
    one."""
    from sluicegate.admin.evaluation_gate import EvaluationGate

    if settings is None:
        return EvaluationGate(stores.eval_runs)
    return EvaluationGate(
        stores.eval_runs,
        required_labels=settings.require_evaluation,
        gated_metrics=settings.gated_metrics,
    )


def _admin(stores: SqlStores, settings: PromptSettings | None = None) -> PromptAdmin:
    from sluicegate.admin.prompts import PromptAdmin
    from sluicegate.core.clock import SystemClock

    verifier = _gate(stores, settings).verifier()
    return PromptAdmin(stores.prompts, stores.audit, SystemClock(), verifier=verifier)


def _run(
    url: str,
    work: Callable[[PromptAdmin], Awaitable[T]],
    settings: PromptSettings | None = None,
) -> T:
    """Run `work` with a PromptAdmin on the database (whose label moves meet the promotion
    gate of `settings`); a refusal is exit 1, bad input exit 2."""
    return run_admin(url, lambda stores: _admin(stores, settings), work, list_hint=LIST_HINT)


def _prompt_settings(config: Path | None) -> PromptSettings | None:
    loaded = load_config_file(config)
    return loaded.prompts if loaded is not None else None


# --- commands ------------------------------------------------------------------------------------


@prompts_app.command("push")
def push_command(
    file: Annotated[Path, typer.Argument(metavar="FILE.prompty", help="The prompty file.")],
    message: Annotated[str, typer.Option("--message", "-m", help="What changed, and why.")] = "",
    name: Annotated[
        str | None,
        typer.Option(help="The prompt's name; default: the front matter's `name`."),
    ] = None,
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Store the file as the next version of its prompt (nothing, if it is identical to the
    latest version)."""
    source = read_exact(file, "prompty")
    url = database_to_write(database_url, config)

    async def work(admin: PromptAdmin) -> tuple[bool, str, int | None]:
        pushed = await admin.push(source, ACTOR, message=message, name=name)
        return pushed.created, pushed.version.ref, pushed.version.parent

    created, ref, parent = _run(url, work)
    if created:
        typer.echo(f"Pushed {ref}" + (f" (parent v{parent})." if parent else "."))
    else:
        typer.echo(f"Unchanged: {file} is identical to {ref}; nothing was pushed.")


@prompts_app.command("pull")
def pull_command(
    ref: RefArgument,
    output: OutputFileOption = None,
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Print a version's prompty file exactly as it was pushed (or write it to a file)."""
    url = database_to_read(database_url, config)

    async def work(admin: PromptAdmin) -> tuple[str, str]:
        version = await admin.resolve(ref)
        return version.ref, version.source

    found, source = _run(url, work)
    write_exact(source, output, found)


@prompts_app.command("list")
def list_command(
    output: FormatOption = "table", database_url: UrlOption = None, config: ConfigOption = None
) -> None:
    """List the prompts by name, with their latest version and their labels."""
    check_format(output)
    url = database_to_read(database_url, config)
    summaries = _run(url, lambda admin: admin.list())
    empty = "no prompts; push one with `sluicegate prompts push FILE.prompty`"
    print_many(output, summaries, summary_json, print_summaries, empty=empty)


@prompts_app.command("show")
def show_command(
    ref: RefArgument,
    output: FormatOption = "table",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Show a version: who pushed it and why, the labels on it, and its source."""
    check_format(output)
    url = database_to_read(database_url, config)
    print_one(output, _run(url, lambda admin: admin.show(ref)), shown_json, print_shown)


@prompts_app.command("versions")
def versions_command(
    name: NameArgument,
    output: FormatOption = "table",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """List every version of a prompt, oldest first."""
    check_format(output)
    url = database_to_read(database_url, config)
    versions = _run(url, lambda admin: admin.versions(name))
    print_many(output, versions, version_json, print_versions)


@prompts_app.command("diff")
def diff_command(
    first: Annotated[str, typer.Argument(metavar="NAME@A", help="The version to compare from.")],
    second: Annotated[str, typer.Argument(metavar="NAME@B", help="The version to compare to.")],
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """A unified diff of two versions' front matter and template."""
    url = database_to_read(database_url, config)
    compared = _run(url, lambda admin: admin.diff(first, second))
    if compared.text:
        typer.echo(compared.text, nl=False)
    else:
        typer.echo(f"{compared.a.ref} and {compared.b.ref} are identical.")


@prompts_app.command("label")
def label_command(
    name: NameArgument,
    version_or_label: Annotated[
        str,
        typer.Argument(
            metavar="VERSION", help="The version (3 or v3); with --split or --remove, the label."
        ),
    ],
    label: Annotated[
        str | None, typer.Argument(metavar="LABEL", help="The label (production, staging, …).")
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(
            metavar="V:W,…",
            help="Split traffic between versions by relative weight, as 3:90,4:10; give "
            "NAME LABEL only.",
        ),
    ] = None,
    remove: Annotated[
        bool, typer.Option("--remove", help="Remove the label (give NAME LABEL only).")
    ] = False,
    note: Annotated[str, typer.Option(help="Why; kept in the label's history.")] = "",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Point a label at a version: `label NAME VERSION LABEL`; at a split:
    `label NAME LABEL --split 3:90,4:10`; remove it: `label NAME LABEL --remove`."""
    from sluicegate.admin.prompt_refs import describe_targets, parse_split, parse_version
    from sluicegate.core.prompts import LabelTarget

    if split is not None and remove:
        usage_error("use either --split or --remove, not both")
    if split is not None or remove:
        if label is not None:
            option = "--split" if split is not None else "--remove"
            usage_error(f"with {option}, give NAME LABEL (no VERSION)")
        label = version_or_label
        targets = checked(lambda: parse_split(split, "--split")) if split is not None else ()
    else:
        if label is None:
            usage_error("give NAME VERSION LABEL, or NAME LABEL with --split or --remove")
        number = checked(lambda: parse_version(version_or_label, "VERSION"))
        targets = (LabelTarget(number),)
    chosen = label
    url = database_to_read(database_url, config)
    if remove:
        move = _run(
            url, lambda admin: admin.remove_label(name, chosen, actor=ACTOR, role=Role.ADMIN)
        )
        typer.echo(
            f"Removed label {chosen} of {name} (it pointed at {describe_targets(move.before)})."
        )
        return

    async def work(admin: PromptAdmin) -> tuple[bool, str, str]:
        change = await admin.promote(name, chosen, targets, actor=ACTOR, role=Role.ADMIN, note=note)
        before = change.move.before if change.move is not None else change.label.targets
        return change.changed, describe_targets(change.label.targets), describe_targets(before)

    changed, now, was = _run(url, work, _prompt_settings(config))
    _say_moved(name, chosen, changed, now, was)


def _say_moved(name: str, label: str, changed: bool, now: str, was: str) -> None:
    if not changed:
        typer.echo(f"Label {label} of {name} already points at {now}; nothing changed.")
    elif was == "nothing":
        typer.echo(f"Label {label} of {name} now points at {now}.")
    else:
        typer.echo(f"Label {label} of {name} now points at {now} (was {was}).")


@prompts_app.command("promote")
def promote_command(
    name: NameArgument,
    version: Annotated[str, typer.Argument(metavar="VERSION", help="The version (3 or v3).")],
    to: Annotated[str, typer.Option("--to", metavar="LABEL", help="The label to move.")],
    require_eval: Annotated[
        str | None,
        typer.Option(
            "--require-eval",
            metavar="RUN",
            help="A published evaluation run (ev-…), or a run directory (published first), "
            "that must allow the move.",
        ),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            help="Gate on this metric (repeatable); default prompts.gated_metrics of --config, "
            "else every metric of the run.",
        ),
    ] = None,
    note: Annotated[str, typer.Option(help="Why; kept in the label's history.")] = "",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Point LABEL at VERSION, with a passing evaluation run: complete, its baseline what the
    label points at now, a candidate that resolved to exactly NAME@vVERSION and is
    significantly worse on no gated metric. Labels in prompts.require_evaluation (read from
    --config) move only so."""
    from sluicegate.admin.prompt_refs import check_label, describe_targets, parse_version
    from sluicegate.admin.prompts import Promotion, PromotionVerifier
    from sluicegate.core.prompts import LabelTarget

    number = checked(lambda: parse_version(version, "VERSION"))
    checked(lambda: check_label(to, "--to"))
    if metric and require_eval is None:
        usage_error("--metric chooses what --require-eval RUN is judged on: give both")
    settings = _prompt_settings(config)
    summary = None
    run_id = require_eval
    if require_eval is not None and _is_rundir(require_eval):
        from sluicegate.cli.eval_publish import read_run_summary

        summary = read_run_summary(Path(require_eval))
        run_id = None
    elif require_eval is not None:
        from sluicegate.admin.eval_runs import check_run_id

        checked(lambda: check_run_id(require_eval, "--require-eval"))
    resolve = database_to_write if summary is not None else database_to_read
    url = resolve(database_url, config)

    async def work(stores: SqlStores) -> tuple[bool, str, str, str]:
        from sluicegate.cli.eval_publish import describe_published, eval_run_admin

        cited = run_id
        if summary is not None:
            published = await eval_run_admin(stores).publish(summary, ACTOR)
            typer.echo(describe_published(published), err=True)
            cited = published.run.id
        judged: list[str] = []
        verifier: PromotionVerifier | None = None
        if cited is not None:
            judge = _gate(stores, settings).verifier(cited, metric or ())

            async def recording(promotion: Promotion) -> str:
                judged.append(await judge(promotion))
                return judged[-1]

            verifier = recording

        change = await _admin(stores, settings).promote(
            name, to, [LabelTarget(number)], actor=ACTOR, role=Role.ADMIN, note=note,
            verifier=verifier,
        )  # fmt: skip
        before = change.move.before if change.move is not None else change.label.targets
        now, was = describe_targets(change.label.targets), describe_targets(before)
        return change.changed, now, was, "".join(judged)

    changed, now, was, why = run_admin(url, lambda stores: stores, work, list_hint=LIST_HINT)
    _say_moved(name, to, changed, now, was)
    if why:
        typer.echo(f"Allowed by {why}.")


def _is_rundir(text: str) -> bool:
    """A run directory rather than a run id: an existing directory, or a path."""
    return Path(text).is_dir() or "/" in text or "\\" in text


@prompts_app.command("history")
def history_command(
    name: NameArgument,
    label: Annotated[str | None, typer.Option(help="Only the moves of this label.")] = None,
    output: FormatOption = "table",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Every move of a prompt's labels, oldest first: when, from where, to where, by whom."""
    check_format(output)
    url = database_to_read(database_url, config)
    moves = _run(url, lambda admin: admin.history(name, label))
    print_many(output, moves, move_json, print_history, empty=f"no label of {name} has moved yet")
