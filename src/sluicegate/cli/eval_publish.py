"""`sluicegate eval publish RUNDIR`: store an evaluation run's summary in the gateway's database,
so that a promotion can cite it (`sluicegate prompts promote … --require-eval RUN`).

The run id goes to standard output alone (`RUN=$(sluicegate eval publish runs/v8)`), what was
published to standard error. Publishing the same summary again prints the same id and stores
nothing. The summary is `RUNDIR/summary.json` as `eval run` or `eval report` last wrote it; one
older than the run's results is refused, since it would not say what the run found.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sluicegate.cli.admin_runs import run_admin
from sluicegate.cli.database import ConfigOption, UrlOption
from sluicegate.cli.keys import ACTOR
from sluicegate.cli.store_access import database_to_write, usage_error

if TYPE_CHECKING:
    from sluicegate.admin.eval_runs import EvalRunAdmin, Published
    from sluicegate.stores.sql import SqlStores

LIST_HINT = "`GET /admin/evals` lists the published runs"


def read_run_summary(rundir: Path) -> dict[str, Any]:
    """The run's summary.json as data; a usage error when RUNDIR holds no current summary."""
    import orjson

    from sluicegate.evals.rundir import RunDir, RunDirError

    run = RunDir(rundir)
    try:
        run.read_manifest()
    except RunDirError as error:
        usage_error(str(error))
    report = f"`sluicegate eval report {rundir}`"
    try:
        data = run.summary_path.read_bytes()
        written = run.summary_path.stat().st_mtime_ns
    except FileNotFoundError:
        usage_error(f"{rundir} has no summary.json yet: {report} writes it")
    except OSError as error:
        usage_error(f"{run.summary_path}: cannot be read ({error.strerror or error})")
    if run.results_path.exists() and run.results_path.stat().st_mtime_ns > written:
        usage_error(
            f"{run.summary_path} is older than the run's results: {report} brings it up to date"
        )
    try:
        summary = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        usage_error(f"{run.summary_path} is not JSON ({error})")
    if not isinstance(summary, dict):
        usage_error(f"{run.summary_path} is not an evaluation summary")
    return summary


def eval_run_admin(stores: SqlStores) -> EvalRunAdmin:
    from sluicegate.admin.eval_runs import EvalRunAdmin
    from sluicegate.core.clock import SystemClock

    return EvalRunAdmin(stores.eval_runs, stores.audit, SystemClock())


def describe_published(published: Published) -> str:
    run = published.run
    candidates = ", ".join(run.candidates) or "no candidate"
    state = "complete" if run.complete else "NOT complete: a promotion cannot cite it"
    verb = "Published" if published.created else "Already published:"
    return (
        f"{verb} evaluation {run.id} ({', '.join(run.baseline) or 'no baseline'} against "
        f"{candidates}; {state})."
    )


def publish_command(
    rundir: Annotated[
        Path, typer.Argument(metavar="RUNDIR", help="A run directory made by `eval run`.")
    ],
    database_url_option: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Store the run's summary in the gateway's database and print the run's id (what
    `prompts promote --require-eval` cites)."""
    summary = read_run_summary(rundir)
    url = database_to_write(database_url_option, config)
    published = run_admin(
        url, eval_run_admin, lambda admin: admin.publish(summary, ACTOR), list_hint=LIST_HINT
    )
    typer.echo(describe_published(published), err=True)
    typer.echo(published.run.id)
