"""The `sluicegate` command line."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from sluicegate.config.loader import ConfigError, load_config, load_yaml, parse_document
from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig

app = typer.Typer(
    name="sluicegate",
    help="A production gateway for GenAI applications: one OpenAI/Azure OpenAI-compatible API "
    "in front of many LLM deployments, with PTU-first spillover routing.",
    no_args_is_help=True,
    add_completion=False,
)


def _add_groups() -> None:
    from sluicegate.cli.bench import bench_command
    from sluicegate.cli.blocklists import blocklists_app
    from sluicegate.cli.capture import capture_app
    from sluicegate.cli.database import db_app
    from sluicegate.cli.datasets import datasets_app
    from sluicegate.cli.eval_publish import publish_command
    from sluicegate.cli.evals import eval_app
    from sluicegate.cli.feedback import feedback_app
    from sluicegate.cli.keys import keys_app
    from sluicegate.cli.plan import plan_command
    from sluicegate.cli.prompts import prompts_app
    from sluicegate.cli.teams import teams_app
    from sluicegate.cli.usage import usage_app

    app.add_typer(blocklists_app, name="blocklists")
    app.add_typer(capture_app, name="capture")
    app.add_typer(db_app, name="db")
    app.add_typer(datasets_app, name="datasets")
    app.add_typer(eval_app, name="eval")
    eval_app.command("publish")(publish_command)
    app.add_typer(feedback_app, name="feedback")
    app.add_typer(keys_app, name="keys")
    app.add_typer(prompts_app, name="prompts")
    app.add_typer(teams_app, name="teams")
    app.add_typer(usage_app, name="usage")
    app.command("plan")(plan_command)
    app.command("bench")(bench_command)


_add_groups()

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML config file (see docs/configuration.md)."),
]
HostOption = Annotated[str | None, typer.Option(help="Address to listen on.")]
PortOption = Annotated[int | None, typer.Option(help="Port to listen on (0 picks a free one).")]


@app.command()
def serve(
    config: ConfigOption = None,
    host: HostOption = None,
    port: PortOption = None,
    upstream: Annotated[
        str | None,
        typer.Option(
            help="Quick start: put the gateway in front of one OpenAI-compatible base URL "
            "(e.g. http://localhost:8000/v1) that serves every model name."
        ),
    ] = None,
    api_key_env: Annotated[
        str | None,
        typer.Option(help="With --upstream: environment variable holding the upstream's key."),
    ] = None,
    upstream_auth: Annotated[
        str,
        typer.Option(help="With --api-key-env: send the key as 'bearer' or Azure 'api-key'."),
    ] = "bearer",
    no_auth: Annotated[
        bool,
        typer.Option(
            "--no-auth",
            help="Serve without authentication: anyone who reaches the port may call. "
            "For local experiments only.",
        ),
    ] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Start the gateway. With no --config and no --upstream it runs the embedded default:
    two simulated Azure OpenAI deployments (PTU first, pay-as-you-go spillover)."""
    _configure_logging(log_level)
    from sluicegate.cli.serving import serve_config, serve_embedded

    if config is not None and upstream is not None:
        _fail("use either --config or --upstream, not both")

    def adjust(settings: GatewayConfig) -> GatewayConfig:
        return _command_line_overrides(settings, no_auth=no_auth)

    try:
        if upstream is not None:
            from sluicegate.cli.embedded import upstream_gateway_config

            auth = _upstream_auth(api_key_env, upstream_auth)
            settings = upstream_gateway_config(
                upstream, host or "127.0.0.1", 8080 if port is None else port, auth
            )
            serve_config(adjust(settings))
        elif config is not None:
            serve_config(adjust(_override(load_config(config), host, port)))
        else:
            serve_embedded(host or "127.0.0.1", 8080 if port is None else port, adjust)
    except ConfigError as error:
        _fail(str(error))


@app.command()
def simulate(
    config: ConfigOption = None,
    host: HostOption = None,
    port: PortOption = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve simulated PTU and pay-as-you-go deployments (OpenAI and Azure paths). With no
    --config it serves the two deployments of the embedded default."""
    _configure_logging(log_level)
    from sluicegate.cli.embedded import embedded_simulator_config
    from sluicegate.simulator.server import run_simulator

    try:
        settings = (
            parse_document(load_yaml(config), SimulatorConfig, source=str(config))
            if config is not None
            else embedded_simulator_config().model_copy(update={"port": 8090})
        )
    except ConfigError as error:
        _fail(str(error))
    updates: dict[str, Any] = {}
    if host is not None:
        updates["host"] = host
    if port is not None:
        updates["port"] = port
    run_simulator(settings.model_copy(update=updates) if updates else settings)


@app.command("check-config")
def check_config(
    file: Annotated[Path, typer.Argument(help="A gateway or simulator YAML file.")],
) -> None:
    """Validate a config file and summarise it; exit 1 and explain when it is wrong."""
    try:
        data = load_yaml(file)
        if isinstance(data, dict) and "deployments" in data and "backends" not in data:
            simulator = parse_document(data, SimulatorConfig, source=str(file))
            typer.echo(f"{file}: a valid simulator config")
            for deployment in simulator.deployments:
                typer.echo(f"  deployment {deployment.name} ({deployment.kind})")
            return
        gateway = parse_document(data, GatewayConfig, source=str(file))
    except ConfigError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{file}: a valid gateway config")
    typer.echo(f"  listens on {gateway.server.host}:{gateway.server.port}")
    for backend in gateway.backends:
        typer.echo(
            f"  backend {backend.name}: {backend.api} {backend.kind}, priority "
            f"{backend.priority}, weight {backend.weight:g}, auth {backend.auth.type}"
        )
    for name, route in gateway.models.items():
        typer.echo(f"  model {name!r} -> pool {route.pool!r}")


def _override(config: GatewayConfig, host: str | None, port: int | None) -> GatewayConfig:
    updates: dict[str, Any] = {}
    if host is not None:
        updates["host"] = host
    if port is not None:
        updates["port"] = port
    if not updates:
        return config
    return config.model_copy(update={"server": config.server.model_copy(update=updates)})


def _command_line_overrides(config: GatewayConfig, *, no_auth: bool) -> GatewayConfig:
    """`--no-auth` and the `SLUICEGATE_DATABASE_URL`, `SLUICEGATE_REDIS_URL`,
    `SLUICEGATE_LEDGER_SPOOL_DIR` and `SLUICEGATE_FEEDBACK_SECRET` environment variables win
    over the file."""
    from sluicegate.cli.database import database_url

    updates: dict[str, Any] = {"database_url": database_url(None, config)}
    spool_dir = os.environ.get("SLUICEGATE_LEDGER_SPOOL_DIR")
    if spool_dir:
        updates["ledger"] = config.ledger.model_copy(update={"spool_dir": spool_dir})
    feedback_secret = os.environ.get("SLUICEGATE_FEEDBACK_SECRET")
    if feedback_secret:
        from sluicegate.cli.feedback import with_token_secret

        updates["feedback"] = with_token_secret(config.feedback, feedback_secret)
    redis_url = os.environ.get("SLUICEGATE_REDIS_URL")
    if redis_url:
        updates["quotas"] = config.quotas.model_copy(update={"redis_url": redis_url})
    if no_auth:
        updates["auth"] = config.auth.model_copy(update={"enabled": False})
    return config.model_copy(update=updates)


def _upstream_auth(variable: str | None, kind: str) -> dict[str, object] | None:
    if variable is None:
        return None
    if kind not in ("bearer", "api-key"):
        _fail("--upstream-auth must be 'bearer' or 'api-key'")
    value = os.environ.get(variable)
    if not value:
        _fail(f"--api-key-env {variable}: the environment variable is not set or empty")
    field = "token" if kind == "bearer" else "key"
    return {"type": kind, field: value}


QUIET_LIBRARIES = (
    "aiosqlite",
    "asyncpg",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "alembic.runtime.plugins",
)
"""Libraries that log every SQL statement at info (SQLAlchemy's engine: the pollers' queries
every few seconds) and its parameters at debug (key hashes, usage rows), or their own setup."""


def _configure_logging(level: str) -> None:
    numeric = getattr(logging, level.upper(), None)
    if not isinstance(numeric, int):
        return _fail(f"--log-level {level!r}: use debug, info, warning or error")  # type: ignore[no-any-return]
    logging.basicConfig(
        level=numeric, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    # `--log-level debug` and `info` are for the gateway's own decisions, not for SQL: only
    # the database libraries' warnings and errors (a failed pool reset, say) are printed.
    for chatty in QUIET_LIBRARIES:
        logging.getLogger(chatty).setLevel(max(numeric, logging.WARNING))
    # The per-request lines are JSON objects already: print them bare, one per line, whatever
    # the level of the other logs (request_log.enabled turns them off).
    from sluicegate.telemetry.request_log import REQUEST_LOGGER

    requests = logging.getLogger(REQUEST_LOGGER)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    requests.addHandler(handler)
    requests.setLevel(logging.INFO)
    requests.propagate = False


def _fail(message: str) -> Any:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
