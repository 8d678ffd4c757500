"""Expert review of an evaluation, end to end: a run with an LLM judge against a scripted
OpenAI-compatible model, the review sheet exported, marked and imported (as CSV, and through the
HTML page in headless Chromium), and the judge's agreement with the experts in the summary."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from tests.browser import chromium_path
from tests.e2e.processes import run_cli, serve_in_thread

pytestmark = pytest.mark.e2e

ITEMS = 12
JUDGE_SYSTEM = "You are an impartial evaluator"
PROMPTS = ("v1.prompty", "v2.prompty")


def right(item: int) -> bool:
    return item % 3 != 0


async def chat(request: web.Request) -> web.Response:
    """Answers "right" or "wrong" by the question's number; as the judge, rates "right" 5 and
    "wrong" 2."""
    body = await request.json()
    messages = body["messages"]
    if messages[0]["content"].startswith(JUDGE_SYSTEM):
        answer = messages[-1]["content"].split("RESPONSE:\n", 1)[1].split("\n</data>", 1)[0]
        score = 5 if answer == "right" else 2
        text = json.dumps({"reasoning": "as scripted", "score": score})
    else:
        number = int(messages[-1]["content"].removeprefix("question "))
        text = "right" if right(number) else "wrong"
    return web.json_response(
        {
            "id": "x",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
        }
    )  # fmt: skip


class ScriptedModel:
    def __init__(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", chat)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self) -> str:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def stop(self) -> None:
        await self._runner.cleanup()


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    with serve_in_thread(ScriptedModel) as url:
        yield url


@pytest.fixture
def run(model_url: str, tmp_path: Path) -> Path:
    (tmp_path / "qa.jsonl").write_text(
        "\n".join(json.dumps({"id": f"q{i}", "question": f"question {i}"}) for i in range(ITEMS))
    )
    for name, system in zip(PROMPTS, ("Be right.", "Be very right."), strict=True):
        (tmp_path / name).write_text(
            "---\nname: qa\ninputs:\n  question:\n    type: string\n---\n"
            f"system:\n{system}\n\nuser:\n{{{{question}}}}\n"
        )
    done = run_cli(
        "eval", "run", "--dataset", "qa.jsonl", "--prompt", PROMPTS[0], "--prompt", PROMPTS[1],
        "--model", "scripted", "--target", model_url, "--out", "run", "-e", "judge:relevance",
        "--no-progress", cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return tmp_path / "run"


def review(*args: str, cwd: Path) -> tuple[int, str, str]:
    done = run_cli("eval", "review", *args, cwd=cwd, timeout=60)
    return done.returncode, done.stdout, done.stderr


def agreement(run: Path) -> dict[str, Any]:
    summary = json.loads((run / "summary.json").read_text())
    (row,) = summary["agreement"]
    return dict(row)


def test_marks_from_a_csv_sheet_measure_the_judge(run: Path) -> None:
    cwd = run.parent
    code, _, err = review("run", "--export", "sheet.csv", cwd=cwd)
    assert code == 0, err
    assert f"wrote {ITEMS} item(s) for review to sheet.csv" in err
    table = list(csv.reader(io.StringIO((cwd / "sheet.csv").read_text(encoding="utf-8-sig"))))
    header = table[0]
    assert header[:3] == ["item", "input", "expected"]
    for row in table[1:]:
        item = int(row[0].removeprefix("q"))
        for spec in PROMPTS:
            answer = row[header.index(f"answer: {spec}")]
            assert answer == ("right" if right(item) else "wrong")
            row[header.index(f"pass: {spec}")] = "pass" if answer == "right" else "fail"
    # One expert disagrees with the judge: v1's answer to q1 is right, but marked a fail.
    table[2][header.index(f"pass: {PROMPTS[0]}")] = "fail"
    table[2][header.index(f"comment: {PROMPTS[0]}")] = "right, but rude"
    out = io.StringIO()
    csv.writer(out).writerows(table)
    (cwd / "marked.csv").write_text(out.getvalue())

    code, stdout, err = review("run", "--import", "marked.csv", cwd=cwd)
    assert code == 0, err
    assert f"imported {2 * ITEMS} pass/fail mark(s) from marked.csv" in err
    assert "LLM judges against experts" in stdout
    row = agreement(run)
    # Judge passes (rating >= 4): 16 of 24 answers; experts: 15 (one flipped to fail).
    # p_o = 23/24, p_e = (16/24)(15/24) + (8/24)(9/24) = 13/24, kappa = (10/24)/(11/24).
    assert row["metric"] == "judge:relevance"
    assert row["n"] == 2 * ITEMS
    assert row["agreement"] == pytest.approx(23 / 24)
    assert row["kappa"] == pytest.approx(10 / 11)
    marks = json.loads((run / "review.json").read_text())["marks"]
    (commented,) = [m for m in marks if m["comment"]]
    assert commented == {"item": "q1", "prompt": PROMPTS[0], "passed": False,
                         "comment": "right, but rude"}  # fmt: skip
    code, stdout, err = review("run", "--export", "again.csv", cwd=cwd)
    assert code == 0, err
    assert "right, but rude" in (cwd / "again.csv").read_text(encoding="utf-8-sig")

    done = run_cli("eval", "report", "run", "--report", "r.html", cwd=cwd, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "LLM judges against experts" in (cwd / "r.html").read_text()
    summary = json.loads((run / "summary.json").read_text())
    assert [m["name"] for m in summary["metrics"]] == ["judge:relevance", "human"]


def test_the_review_page_marks_answers_and_downloads_the_sheet(run: Path) -> None:
    cwd = run.parent
    code, _, err = review("run", "--export", "review.html", cwd=cwd)
    assert code == 0, err
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    page_url = (cwd / "review.html").resolve().as_uri()
    blocked: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            context = browser.new_context(accept_downloads=True)
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            def gate(route: Any, request: Any) -> None:
                if request.url == page_url:
                    route.continue_()
                else:
                    blocked.append(request.url)
                    route.abort()

            page.route("**/*", gate)
            page.goto(page_url, wait_until="load")
            assert page.inner_text("#progress") == f"0 of {2 * ITEMS} answers marked"
            for row in range(ITEMS):
                for index in range(len(PROMPTS)):
                    verdict = "pass" if right(row) else "fail"
                    page.check(f'input[name="v-{row}-{index}"][value="{verdict}"]')
            page.fill('textarea[data-row="4"][data-prompt="1"]', 'fine, "quoted", ok')
            assert page.inner_text("#progress") == f"{2 * ITEMS} of {2 * ITEMS} answers marked"
            with page.expect_download() as download:
                page.click("button.download >> nth=0")
            download.value.save_as(cwd / "from-page.csv")
        finally:
            browser.close()
    assert blocked == []
    assert errors == []
    code, _, err = review("run", "--import", "from-page.csv", cwd=cwd)
    assert code == 0, err
    row = agreement(run)
    assert (row["n"], row["agreement"], row["kappa"]) == (2 * ITEMS, 1.0, 1.0)
    marks = json.loads((run / "review.json").read_text())["marks"]
    assert [m["comment"] for m in marks if m["comment"]] == ['fine, "quoted", ok']
