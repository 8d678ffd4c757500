"""`sluicegate eval run|report|review`: evaluate prompt versions on a dataset, compare them,
and have experts review the answers (docs/evals.md). The evaluation tool (aiohttp, numpy,
matplotlib) is imported inside the commands, so `sluicegate --help` stays fast."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sluicegate.cli.endpoint_options import (
    OUTPUT_PANEL,
    TARGET_PANEL,
    ApiKeyEnvOption,
    HeaderOption,
    PricesOption,
)
from sluicegate.cli.store_access import failure, usage_error

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as RichProgress

    from sluicegate.evals.loaded_run import LoadedRun
    from sluicegate.evals.records import ItemResult

eval_app = typer.Typer(
    help="Evaluate prompt versions on a dataset and compare them (docs/evals.md).",
    no_args_is_help=True,
)

_TARGET = TARGET_PANEL
_RUN = "Run"
_OUT = OUTPUT_PANEL

FailIfWorse = Annotated[
    list[str] | None,
    typer.Option(
        "--fail-if-worse",
        help="Exit 1 when a candidate is significantly worse than the baseline on this metric "
        "(repeatable).",
        rich_help_panel=_OUT,
    ),
]
ReportOption = Annotated[
    Path | None,
    typer.Option("--report", help="Write an HTML report to this file.", rich_help_panel=_OUT),
]
AlphaOption = Annotated[
    float,
    typer.Option(help="Significance level of the comparisons.", rich_help_panel=_OUT),
]
ThresholdOption = Annotated[
    float,
    typer.Option(
        help="A 1–5 judge rating at or above this is a pass, when judges are compared with "
        "expert marks.",
        rich_help_panel=_OUT,
    ),
]


@eval_app.command("run")
def run_command(
    dataset: Annotated[
        Path,
        typer.Option(
            help="JSONL dataset (see docs/evals.md), or NAME[@vN] of a dataset the target "
            "gateway keeps (`sluicegate datasets push`; needs an admin or operator key).",
            rich_help_panel=_RUN,
        ),
    ],
    prompt: Annotated[
        list[str],
        typer.Option(
            "--prompt",
            help="NAME@v3, NAME@label (rendered by the gateway) or a .prompty file (rendered "
            "here). Repeatable: the first is the baseline, the others candidates.",
            rich_help_panel=_RUN,
        ),
    ],
    model: Annotated[
        str, typer.Option(help="Model (gateway route) to ask.", rich_help_panel=_TARGET)
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="Run directory: results are appended there, and running the same command "
            "again resumes.",
            rich_help_panel=_RUN,
        ),
    ],
    evaluators: Annotated[
        list[str] | None,
        typer.Option(
            "--evaluators",
            "-e",
            help="Comma-separated evaluator specs: exact, f1, regex:PATTERN, json_schema:FILE, "
            "bleu, rouge_l, embedding, judge:RUBRIC, custom:file.py:fn ... (repeatable).",
            rich_help_panel=_RUN,
        ),
    ] = None,
    target: Annotated[
        str,
        typer.Option(
            help="Base URL of the gateway or any OpenAI-compatible endpoint.",
            rich_help_panel=_TARGET,
        ),
    ] = "http://127.0.0.1:8080",
    api_key_env: ApiKeyEnvOption = None,
    auth: Annotated[
        str, typer.Option(help="Send the key as 'bearer' or 'api-key'.", rich_help_panel=_TARGET)
    ] = "bearer",
    header: HeaderOption = None,
    judge_model: Annotated[
        str | None,
        typer.Option(help="Model for judge:* evaluators (default: --model).", rich_help_panel=_RUN),
    ] = None,
    embedding_model: Annotated[
        str | None,
        typer.Option(
            help="Embeddings model for the embedding evaluator: one the target serves, or "
            "`local` for the bundled offline model (sluicegate[embeddings]).",
            rich_help_panel=_RUN,
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency", "-c", help="Requests in flight at most.", rich_help_panel=_RUN
        ),
    ] = 8,
    timeout: Annotated[
        float, typer.Option(help="Seconds per attempt.", rich_help_panel=_RUN)
    ] = 120.0,
    retries: Annotated[
        int,
        typer.Option(
            help="Attempts in all per request; 429, 5xx and connection errors are retried with "
            "backoff, honouring retry-after-ms and Retry-After.",
            rich_help_panel=_RUN,
        ),
    ] = 6,
    prices: PricesOption = None,
    report: ReportOption = None,
    fail_if_worse: FailIfWorse = None,
    alpha: AlphaOption = 0.05,
    judge_threshold: ThresholdOption = 4.0,
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="No progress bar.", rich_help_panel=_OUT)
    ] = False,
) -> None:
    """Ask every dataset item through every prompt, score the answers, and compare each
    candidate with the baseline. Resumable: finished items are not sent again."""
    from sluicegate.config.loader import ConfigError
    from sluicegate.evals.evaluators.errors import EvaluatorSpecError
    from sluicegate.evals.rundir import RunDir, RunDirError
    from sluicegate.evals.session import EvalOptions, execute, metric_names, prepare_run

    if auth not in ("bearer", "api-key"):
        usage_error(f"--auth {auth!r}: use bearer or api-key")
    _check_alpha(alpha)
    options = EvalOptions(
        dataset=dataset,
        prompts=prompt,
        evaluators=evaluators or [],
        model=model,
        out=out,
        target=target,
        api_key_env=api_key_env,
        auth="api-key" if auth == "api-key" else "bearer",
        headers=header or [],
        judge_model=judge_model,
        embedding_model=embedding_model,
        concurrency=concurrency,
        timeout=timeout,
        max_attempts=retries,
        prices=prices,
    )
    try:
        prepared = prepare_run(options)
        _check_gated(fail_if_worse, [*metric_names(prepared.evaluator_specs), "human"])
    except ConfigError as error:
        usage_error(str(error))
    except ValueError as error:
        usage_error(str(error))
    from rich.console import Console

    console = Console(stderr=True, markup=False, highlight=False)
    if prepared.dataset.skipped:
        first = prepared.dataset.skipped[0]
        console.print(
            f"note: {len(prepared.dataset.skipped)} dataset line(s) skipped "
            f"(line {first.line}: {first.reason})",
            highlight=False,
        )
    live = not no_progress and console.is_terminal
    progress = _progress(console) if live else None
    bar = _Bar(progress) if progress is not None else None
    try:
        if progress is not None:
            with progress:
                _, outcome = asyncio.run(execute(prepared, progress=bar))
        else:
            _, outcome = asyncio.run(execute(prepared, progress=_Quiet(console)))
    except (EvaluatorSpecError, RunDirError) as error:
        usage_error(str(error))
    except KeyboardInterrupt:
        typer.echo(
            f"interrupted; what was answered is in {out}. Run the same command again to resume.",
            err=True,
        )
        raise typer.Exit(130) from None
    if outcome.done_before:
        console.print(
            f"resumed: {outcome.done_before} of {outcome.pairs} answers were already in {out}",
            highlight=False,
        )
    from sluicegate.evals.loaded_run import load_run

    loaded = load_run(RunDir(out))
    code = _summarise(loaded, report, fail_if_worse, alpha, judge_threshold)
    if outcome.stopped is not None:
        failure(f"stopped early: {outcome.stopped}. Fix it and run the same command to resume.")
    if outcome.answered + outcome.done_before == 0:
        failure("no item was answered; see the errors above")
    if code:
        raise typer.Exit(code)


@eval_app.command("report")
def report_command(
    rundir: Annotated[Path, typer.Argument(help="A run directory made by `eval run`.")],
    report: ReportOption = None,
    fail_if_worse: FailIfWorse = None,
    alpha: AlphaOption = 0.05,
    judge_threshold: ThresholdOption = 4.0,
) -> None:
    """Recompute the summary of a run (after expert marks were imported, say), print it, and
    write summary.json and an HTML report."""
    from sluicegate.evals.loaded_run import load_run
    from sluicegate.evals.rundir import RunDir, RunDirError

    _check_alpha(alpha)
    try:
        loaded = load_run(RunDir(rundir))
    except RunDirError as error:
        usage_error(str(error))
    _check_gated(fail_if_worse, [m.name for m in loaded.metrics] + ["human"])
    code = _summarise(loaded, report, fail_if_worse, alpha, judge_threshold)
    if code:
        raise typer.Exit(code)


@eval_app.command("review")
def review_command(
    rundir: Annotated[Path, typer.Argument(help="A run directory made by `eval run`.")],
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help="Write the review sheet: .csv for a spreadsheet, .html for a page that "
            "marks answers and downloads the CSV.",
        ),
    ] = None,
    import_: Annotated[
        Path | None,
        typer.Option("--import", help="Read a filled-in sheet: its marks become the human metric."),
    ] = None,
    judge_threshold: ThresholdOption = 4.0,
) -> None:
    """Expert review: export every answer side by side for pass/fail marks, or import the
    marks, which adds a `human` metric and the judges' agreement with it."""
    from sluicegate.evals.loaded_run import load_run
    from sluicegate.evals.rundir import RunDir, RunDirError

    if (export is None) == (import_ is None):
        usage_error("give either --export FILE or --import FILE")
    try:
        loaded = load_run(RunDir(rundir))
    except RunDirError as error:
        usage_error(str(error))
    if export is not None:
        _export(loaded, export)
    elif import_ is not None:
        _import(loaded, import_, judge_threshold)


def _export(loaded: LoadedRun, path: Path) -> None:
    from sluicegate.evals.review_page import review_page
    from sluicegate.evals.review_sheet import sheet_rows, write_sheet

    rows = sheet_rows(loaded.items, loaded.prompts, loaded.results, loaded.review)
    if not rows:
        failure("no item of this run has an answer yet; run `eval run` first")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = "\ufeff" + write_sheet(rows, loaded.prompts)
    elif suffix in (".html", ".htm"):
        title = f"Review: {' vs '.join(loaded.prompts)}"
        text = review_page(rows, loaded.prompts, title=title, run_key=str(loaded.rundir.path))
    else:
        usage_error(f"--export {path}: use a .csv or .html file name")
    try:
        path.write_text(text, encoding="utf-8", newline="")
    except OSError as error:
        failure(f"cannot write {path}: {error.strerror or error}")
    typer.echo(f"wrote {len(rows)} item(s) for review to {path}", err=True)


def _import(loaded: LoadedRun, path: Path, judge_threshold: float) -> None:
    from rich.console import Console

    from sluicegate.evals.loaded_run import load_run
    from sluicegate.evals.review_marks import ReviewMarks, write_review
    from sluicegate.evals.review_sheet import SheetError, read_sheet
    from sluicegate.evals.terminal import print_summary

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        usage_error(f"cannot read {path}: {error}")
    try:
        marks = read_sheet(text, loaded.prompts, [i.id for i in loaded.items], str(path))
    except SheetError as error:
        usage_error(str(error))
    review = loaded.review or ReviewMarks()
    review.merge(marks, str(path))
    write_review(loaded.rundir, review)
    verdicts = sum(1 for mark in marks.values() if mark.passed is not None)
    typer.echo(f"imported {verdicts} pass/fail mark(s) from {path}", err=True)
    fresh = load_run(loaded.rundir)
    summary = fresh.summarise(judge_threshold=judge_threshold)
    fresh.rundir.write_summary(summary)
    print_summary(_stdout(), summary)
    if not any(a["n"] for a in summary["agreement"]):
        Console(stderr=True).print(
            "note: no LLM-judge metric scored the marked answers, so there is no agreement to "
            "show", highlight=False
        )  # fmt: skip


def _summarise(
    loaded: LoadedRun,
    report: Path | None,
    gated: Sequence[str] | None,
    alpha: float,
    judge_threshold: float,
) -> int:
    """Write summary.json (and the HTML report), print the tables; 1 when a gated metric is
    significantly worse for a candidate, else 0."""
    from sluicegate.evals.terminal import print_summary

    summary = loaded.summarise(alpha=alpha, judge_threshold=judge_threshold)
    path = loaded.rundir.write_summary(summary)
    print_summary(_stdout(), summary)
    typer.echo(f"summary: {path}", err=True)
    if report is not None:
        from sluicegate.evals.report_html import write_html_report

        try:
            write_html_report(loaded, summary, report)
        except OSError as error:
            failure(f"cannot write {report}: {error.strerror or error}")
        typer.echo(f"wrote the report to {report}", err=True)
    return _gate(summary, gated or [])


def _gate(summary: Mapping[str, Any], gated: Sequence[str]) -> int:
    worse = [c for c in summary["comparisons"] if c["metric"] in gated and c["verdict"] == "worse"]
    for c in worse:
        typer.echo(
            f"FAIL: {c['candidate']} is significantly worse than {c['baseline']} on "
            f"{c['metric']} ({c['baseline_mean']:.3g} -> {c['candidate_mean']:.3g}, "
            f"n={c['n']})",
            err=True,
        )
    return 1 if worse else 0


def _check_gated(gated: Sequence[str] | None, known: Sequence[str]) -> None:
    for metric in gated or []:
        if metric not in known:
            usage_error(
                f"--fail-if-worse {metric}: the run has no such metric "
                f"(its metrics: {', '.join(known)})"
            )


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        usage_error(f"--alpha must be between 0 and 1, got {alpha:g}")


def _stdout() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160)


def _progress(console: Console) -> RichProgress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[errors]} errors"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


class _Bar:
    """The run's progress as a rich progress bar."""

    def __init__(self, progress: RichProgress) -> None:
        self._progress = progress
        self._task: Any = None
        self._errors = 0

    def started(self, total: int, done_before: int) -> None:
        self._task = self._progress.add_task(
            "evaluating", total=total, completed=done_before, errors=0
        )

    def advanced(self, result: ItemResult) -> None:
        if not result.done:
            self._errors += 1
        self._progress.update(self._task, advance=1, errors=self._errors)


class _Quiet:
    """Without a terminal: one line at the start and one per tenth of the run."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._total = 0
        self._done = 0
        self._step = 1

    def started(self, total: int, done_before: int) -> None:
        self._total = total
        self._done = done_before
        self._step = max(1, total // 10)
        self._console.print(
            f"evaluating {total} answers ({done_before} already done)", highlight=False
        )

    def advanced(self, result: ItemResult) -> None:
        self._done += 1
        if self._done % self._step == 0 or self._done == self._total:
            self._console.print(f"{self._done}/{self._total} answers", highlight=False)
