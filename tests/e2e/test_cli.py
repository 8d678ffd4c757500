"""The `sluicegate` command line as a user runs it: a real process, real ports, real clients."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from openai import AzureOpenAI, OpenAI
from openai.types.chat import ChatCompletionMessageParam
from tests.e2e.processes import (
    SluicegateProcess,
    run_cli,
    serve_in_thread,
    sluicegate,
)

from sluicegate.config.simulator import zero_latency_config
from sluicegate.simulator.server import SimulatorServer

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hello"}]


def app_key(process: SluicegateProcess) -> str:
    """The app key the banner shows on a first start."""
    found = re.search(r"app key:\s+(sg-\S+)", process.stdout.text)
    assert found, process.stdout.text
    return found.group(1)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


UPSTREAM_SECRET = "upstream-secret-4f2a9c"
UNSET_VARIABLE = "SLUICEGATE_E2E_NEVER_SET"
SIM_MODELS = ("gpt-4o-mini", "llama-3.1-8b")


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def gateway_yaml(backend_url: str, *, port: int = 0) -> str:
    return f"""\
        server:
          host: 127.0.0.1
          port: {port}
        backends:
          - name: sim-mini
            url: {backend_url}
            api: azure
            deployment: gpt-4o-mini
            kind: ptu
            priority: 1
          - name: sim-llama
            url: {backend_url}/v1
            priority: 2
        pools:
          main:
            members: [{{backend: sim-mini}}, {{backend: sim-llama}}]
        models:
          gpt-4o-mini:
            pool: main
        """


@pytest.fixture
def simulator_url() -> Iterator[str]:
    with serve_in_thread(lambda: SimulatorServer(zero_latency_config(SIM_MODELS))) as url:
        yield url


# --- help --------------------------------------------------------------------------------------


def test_top_level_help_lists_the_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    for command in ("serve", "simulate", "check-config"):
        assert command in result.stdout


def test_no_arguments_shows_help_instead_of_starting() -> None:
    result = run_cli()
    assert "serve" in result.stdout + result.stderr
    assert "check-config" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("serve", ("--config", "--upstream", "--api-key-env", "--host", "--port")),
        ("simulate", ("--config", "--host", "--port")),
        ("check-config", ("file", "gateway or simulator YAML file")),
    ],
)
def test_command_help_names_its_options(command: str, expected: tuple[str, ...]) -> None:
    result = run_cli(command, "--help")
    assert result.returncode == 0, result.stderr
    for option in expected:
        assert option in result.stdout, f"{command} --help does not mention {option}"


# --- check-config ------------------------------------------------------------------------------


def test_check_config_summarises_a_valid_gateway_file(tmp_path: Path) -> None:
    path = write(tmp_path / "gateway.yaml", gateway_yaml("http://127.0.0.1:9", port=8081))
    result = run_cli("check-config", str(path))
    assert result.returncode == 0, result.stderr
    assert "a valid gateway config" in result.stdout
    assert "listens on 127.0.0.1:8081" in result.stdout
    assert "backend sim-mini: azure ptu, priority 1" in result.stdout
    assert "backend sim-llama: openai paygo, priority 2" in result.stdout
    assert "model 'gpt-4o-mini' -> pool 'main'" in result.stdout


def test_check_config_summarises_a_simulator_file(tmp_path: Path) -> None:
    example = REPO / "examples" / "sim.yaml"
    path = (
        example
        if example.exists()
        else write(
            tmp_path / "sim.yaml",
            """\
        deployments:
          - {name: gpt-4o-ptu, kind: ptu, capacity_tpm: 60000}
          - {name: gpt-4o-paygo, kind: paygo}
        """,
        )
    )
    result = run_cli("check-config", str(path), unset=("SIM_HOST", "SIM_PORT"))
    assert result.returncode == 0, result.stderr
    assert "a valid simulator config" in result.stdout
    assert "deployment gpt-4o-ptu (ptu)" in result.stdout
    assert "deployment gpt-4o-paygo (paygo)" in result.stdout


@pytest.mark.parametrize(
    ("broken", "named"),
    [
        (("  port: 8080", "  prot: 8080"), ("server.prot", "not a known")),
        (
            ("host: 127.0.0.1", "host: ${" + UNSET_VARIABLE + "}"),
            ("server.host", UNSET_VARIABLE, "is not set"),
        ),
        (
            ("{backend: sim-llama}]", "{backend: sim-lama}]"),
            ("sim-lama", "not defined", "known backends: sim-llama, sim-mini"),
        ),
        (("pool: main", "pool: mian"), ("gpt-4o-mini", "'mian'", "known pools: main")),
    ],
    ids=["unknown-key", "missing-env-var", "unknown-backend", "unknown-pool"],
)
def test_check_config_explains_a_broken_file(
    tmp_path: Path, broken: tuple[str, str], named: tuple[str, ...]
) -> None:
    text = gateway_yaml("http://127.0.0.1:9", port=8080)
    old, new = broken
    assert old in textwrap.dedent(text)
    path = write(tmp_path / "broken.yaml", textwrap.dedent(text).replace(old, new))
    result = run_cli("check-config", str(path), unset=(UNSET_VARIABLE,))
    assert result.returncode == 1
    assert "valid" not in result.stdout
    for word in named:
        assert word in result.stderr, f"{word!r} missing from: {result.stderr}"
    assert "Traceback" not in result.stderr


def test_check_config_on_a_missing_file_says_so(tmp_path: Path) -> None:
    result = run_cli("check-config", str(tmp_path / "nowhere.yaml"))
    assert result.returncode == 1
    assert "nowhere.yaml" in result.stderr
    assert "cannot read" in result.stderr
    assert "Traceback" not in result.stderr


# --- serve: the embedded default ---------------------------------------------------------------


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[tuple[SluicegateProcess, str]]:
    with sluicegate("serve", "--port", "0", cwd=tmp_path) as process:
        yield process, process.wait_for_banner()


def test_serve_embedded_banner_shows_url_curl_and_sdk(
    embedded: tuple[SluicegateProcess, str],
) -> None:
    process, url = embedded
    banner = process.stdout.text
    key = app_key(process)
    assert not url.endswith(":0")
    assert f"curl -s {url}/v1/chat/completions" in banner
    assert f"-H 'Authorization: Bearer {key}'" in banner
    assert '"model": "gpt-4o"' in banner
    assert f'client = OpenAI(base_url="{url}/v1", api_key="{key}")' in banner
    assert re.search(r"admin key:\s+sg-", banner)
    assert "model 'gpt-4o' -> gpt-4o-ptu (ptu, priority 1), then gpt-4o-paygo" in banner


def test_serve_embedded_answers_the_openai_client(
    embedded: tuple[SluicegateProcess, str],
) -> None:
    process, url = embedded
    key = app_key(process)
    with OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=20) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="gpt-4o",
            messages=MESSAGES,
        )
        completion = raw.parse()
        assert completion.object == "chat.completion"
        assert completion.choices[0].message.content
        assert raw.headers["x-sluicegate-backend"] == "gpt-4o-ptu"

        stream = client.chat.completions.create(
            model="gpt-4o",
            messages=MESSAGES,
            stream=True,
        )
        with stream:
            chunks = list(stream)
        assert stream.response.headers["x-sluicegate-backend"] == "gpt-4o-ptu"
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text.strip()
    assert chunks[-1].choices[0].finish_reason in {"stop", "length"}


def test_serve_embedded_answers_the_azure_client(
    embedded: tuple[SluicegateProcess, str],
) -> None:
    process, url = embedded
    key = app_key(process)
    with AzureOpenAI(
        azure_endpoint=url, api_version="2024-10-21", api_key=key, max_retries=0, timeout=20
    ) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="gpt-4o",
            messages=MESSAGES,
        )
        assert raw.parse().choices[0].message.content
        assert raw.headers["x-sluicegate-backend"] == "gpt-4o-ptu"

        stream = client.chat.completions.create(
            model="gpt-4o",
            messages=MESSAGES,
            stream=True,
        )
        with stream:
            chunks = list(stream)
        assert stream.response.headers["x-sluicegate-backend"] == "gpt-4o-ptu"
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)


def test_serve_embedded_curl_line_works_as_printed(
    embedded: tuple[SluicegateProcess, str],
) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed on this machine")
    process, _ = embedded
    lines = process.stdout.text.splitlines()
    start = next(index for index, line in enumerate(lines) if line.strip().startswith("curl "))
    parts = []
    for line in lines[start:]:
        parts.append(line.strip().removesuffix("\\"))
        if not line.endswith("\\"):
            break
    argv = shlex.split(" ".join(parts))
    argv += ["--max-time", "20"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["object"] == "chat.completion"
    assert reply["model"] == "gpt-4o"
    assert reply["choices"][0]["message"]["content"]


def test_serve_embedded_sdk_snippet_works_as_printed(
    embedded: tuple[SluicegateProcess, str], tmp_path: Path
) -> None:
    process, _ = embedded
    lines = process.stdout.text.splitlines()
    start = lines.index("  from openai import OpenAI")
    end = next(index for index, line in enumerate(lines) if "print(reply" in line)
    snippet = textwrap.dedent("\n".join(lines[start : end + 1]))
    result = subprocess.run(
        [sys.executable, "-c", snippet],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) >= 3


def test_keys_are_shown_once_and_kept_across_restarts(tmp_path: Path) -> None:
    with sluicegate("serve", "--port", "0", cwd=tmp_path) as first:
        first.wait_for_banner()
        key = app_key(first)
    with sluicegate("serve", "--port", "0", cwd=tmp_path) as second:
        url = second.wait_for_banner()
        assert "app key:" not in second.stdout.text
        assert "use the\napp key shown on the first start" in second.stdout.text
        assert key not in second.stdout.text + second.stderr.text
        body = {"model": "gpt-4o", "messages": MESSAGES, "max_tokens": 4}
        with httpx.Client(base_url=url, timeout=20) as http:
            anonymous = http.post("/v1/chat/completions", json=body)
            wrong = http.post("/v1/chat/completions", json=body, headers=bearer("sg-0-x"))
            kept = http.post("/v1/chat/completions", json=body, headers={"api-key": key})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["type"] == "authentication_error"
    assert wrong.status_code == 401
    assert kept.status_code == 200, kept.text


def test_no_auth_says_so_and_serves_anyone(tmp_path: Path) -> None:
    with sluicegate("serve", "--port", "0", "--no-auth", cwd=tmp_path) as process:
        url = process.wait_for_banner()
        assert 'api_key="unused"' in process.stdout.text
        assert "Authentication is OFF" in process.stdout.text
        process.wait_for_stderr("AUTHENTICATION IS OFF", timeout=5)
        with httpx.Client(base_url=url, timeout=20) as http:
            reply = http.post(
                "/v1/chat/completions",
                json={"model": "gpt-4o", "messages": MESSAGES, "max_tokens": 4},
            )
    assert reply.status_code == 200
    assert "app key:" not in process.stdout.text


# --- serve --upstream --------------------------------------------------------------------------


def test_serve_upstream_passes_any_known_model_through(simulator_url: str, tmp_path: Path) -> None:
    with sluicegate("serve", "--upstream", f"{simulator_url}/v1", "--port", "0", cwd=tmp_path) as p:
        url = p.wait_for_banner()
        with httpx.Client(base_url=url, timeout=20, headers=bearer(app_key(p))) as http:
            for model in SIM_MODELS:
                reply = http.post(
                    "/v1/chat/completions", json={"model": model, "messages": MESSAGES}
                )
                assert reply.status_code == 200, reply.text
                assert reply.json()["model"] == model
                assert reply.headers["x-sluicegate-backend"] == "upstream"
            unknown = http.post(
                "/v1/chat/completions", json={"model": "no-such-model", "messages": MESSAGES}
            )
            assert unknown.status_code == 404


@dataclass
class RecordingUpstream:
    """An OpenAI-compatible upstream that answers every chat and remembers the headers."""

    seen: list[dict[str, str]] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _chat(self, request: web.Request) -> web.Response:
        self.seen.append({name.lower(): value for name, value in request.headers.items()})
        body = await request.json()
        return web.json_response(
            {
                "id": "chatcmpl-recorded",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "hello"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3},
            }
        )


@pytest.mark.parametrize(
    ("auth", "header", "expected"),
    [
        ("bearer", "authorization", f"Bearer {UPSTREAM_SECRET}"),
        ("api-key", "api-key", UPSTREAM_SECRET),
    ],
)
def test_serve_upstream_sends_its_own_key_never_the_clients(
    tmp_path: Path, auth: str, header: str, expected: str
) -> None:
    upstream = RecordingUpstream()
    with (
        serve_in_thread(lambda: upstream) as upstream_url,
        sluicegate(
            "serve",
            "--upstream",
            f"{upstream_url}/v1",
            "--api-key-env",
            "E2E_UPSTREAM_KEY",
            "--upstream-auth",
            auth,
            "--port",
            "0",
            env={"E2E_UPSTREAM_KEY": UPSTREAM_SECRET},
            cwd=tmp_path,
        ) as process,
    ):
        url = process.wait_for_banner()
        client_key = app_key(process)
        with OpenAI(base_url=f"{url}/v1", api_key=client_key, max_retries=0) as client:
            completion = client.chat.completions.create(
                model="any-model-name",
                messages=MESSAGES,
            )
        assert completion.choices[0].message.content == "hello"
        process.terminate()
        assert process.wait(15) == 0
        logs = process.stdout.text + process.stderr.text
    assert len(upstream.seen) == 1
    seen = upstream.seen[0]
    assert seen[header] == expected
    assert all(client_key not in value for value in seen.values())
    assert UPSTREAM_SECRET not in logs


def test_serve_upstream_with_an_unset_key_variable_fails_clearly(tmp_path: Path) -> None:
    result = run_cli(
        "serve",
        "--upstream",
        "http://127.0.0.1:9/v1",
        "--api-key-env",
        UNSET_VARIABLE,
        "--port",
        "0",
        unset=(UNSET_VARIABLE,),
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert UNSET_VARIABLE in result.stderr
    assert "not set" in result.stderr
    assert "sluicegate is listening" not in result.stdout


# --- serve --config ----------------------------------------------------------------------------


def test_serve_config_routes_to_the_configured_backends(simulator_url: str, tmp_path: Path) -> None:
    path = write(tmp_path / "gateway.yaml", gateway_yaml(simulator_url))
    with sluicegate("serve", "--config", str(path), cwd=tmp_path) as process:
        url = process.wait_for_banner()
        assert "model 'gpt-4o-mini' -> sim-mini (ptu, priority 1), then sim-llama" in (
            process.stdout.text
        )
        with httpx.Client(base_url=url, timeout=20, headers=bearer(app_key(process))) as http:
            openai_style = http.post(
                "/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": MESSAGES}
            )
            azure_style = http.post(
                "/openai/deployments/gpt-4o-mini/chat/completions",
                params={"api-version": "2024-10-21"},
                json={"messages": MESSAGES},
            )
            unrouted = http.post(
                "/v1/chat/completions", json={"model": SIM_MODELS[1], "messages": MESSAGES}
            )
    for reply in (openai_style, azure_style):
        assert reply.status_code == 200, reply.text
        assert reply.headers["x-sluicegate-backend"] == "sim-mini"
        assert reply.json()["object"] == "chat.completion"
    assert unrouted.status_code == 404


def test_serve_config_with_a_wrong_file_fails_on_stderr(tmp_path: Path) -> None:
    text = textwrap.dedent(gateway_yaml("http://127.0.0.1:9")).replace("priority: 2", "priorty: 2")
    path = write(tmp_path / "wrong.yaml", text)
    result = run_cli("serve", "--config", str(path), cwd=tmp_path)
    assert result.returncode != 0
    assert "backends[1].priorty" in result.stderr
    assert "Traceback" not in result.stderr
    assert "sluicegate is listening" not in result.stdout


def test_serve_on_a_port_in_use_says_so_and_exits_1(simulator_url: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = write(tmp_path / "gateway.yaml", gateway_yaml(simulator_url, port=port))
        result = run_cli("serve", "--config", str(path), cwd=tmp_path)
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr
    assert "sluicegate is listening" not in result.stdout
    # The database was migrated and polled before the bind failed: none of it is printed at
    # the default log level, only the migrations' own progress.
    assert "Running upgrade" in result.stderr
    assert "sqlalchemy" not in result.stderr
    assert "SELECT" not in result.stderr


def test_serve_rejects_config_and_upstream_together(tmp_path: Path) -> None:
    path = write(tmp_path / "gateway.yaml", gateway_yaml("http://127.0.0.1:9"))
    result = run_cli(
        "serve", "--config", str(path), "--upstream", "http://127.0.0.1:9/v1", cwd=tmp_path
    )
    assert result.returncode != 0
    assert "either --config or --upstream" in result.stderr


# --- db ----------------------------------------------------------------------------------------


def test_db_upgrade_and_current_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    before = run_cli("db", "current", "--database-url", url, cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    assert "empty database" in before.stdout
    assert "run `sluicegate db upgrade`" in before.stdout
    upgraded = run_cli("db", "upgrade", cwd=tmp_path, env={"SLUICEGATE_DATABASE_URL": url})
    assert upgraded.returncode == 0, upgraded.stderr
    assert "database schema is at revision" in upgraded.stdout
    after = run_cli("db", "current", "--database-url", url, cwd=tmp_path)
    assert "up to date" in after.stdout


def test_serve_keeps_keys_where_the_environment_says(tmp_path: Path) -> None:
    elsewhere = tmp_path / "state" / "gateway.db"
    env = {"SLUICEGATE_DATABASE_URL": f"sqlite+aiosqlite:///{elsewhere}"}
    with sluicegate("serve", "--port", "0", env=env, cwd=tmp_path) as process:
        process.wait_for_banner()
        assert app_key(process).startswith("sg-")
    assert elsewhere.exists()
    assert not (tmp_path / "sluicegate.db").exists()
