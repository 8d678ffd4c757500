"""Custom evaluators: functions loaded from a file, a module or an entry point, sync or async,
adapted to the Evaluator protocol."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from sluicegate.evals.evaluator import EvalItem, Score
from sluicegate.evals.evaluators.custom import CustomEvaluator, kind_of, load_function
from sluicegate.evals.evaluators.errors import EvaluatorSpecError

ITEM = EvalItem(id="7", inputs={"question": "Say hello"}, expected="hello")

CHECKS = """
    from __future__ import annotations

    import asyncio
    from dataclasses import dataclass

    from sluicegate.evals.evaluator import Score


    @dataclass
    class Helper:  # a dataclass needs its module registered while it is imported
        word: str = "please"


    def is_polite(item, answer: str) -> bool:
        return Helper().word in answer.lower()


    async def length_ratio(item, answer):
        await asyncio.sleep(0)
        return len(answer) / len(item.expected)


    def scored(item, answer):
        return Score(metric="whatever", value=0.25, reason="custom reason")


    def declared(item, answer):
        return 1
    declared.kind = "pass_fail"


    def not_applicable(item, answer):
        return None


    def explodes(item, answer):
        raise RuntimeError("boom")


    def wrong_type(item, answer):
        return "yes"


    def one_argument(answer):
        return 1.0

    NOT_A_FUNCTION = 3
"""


@pytest.fixture
def checks(tmp_path: Path) -> Path:
    path = tmp_path / "checks.py"
    path.write_text(textwrap.dedent(CHECKS))
    return path


async def test_function_from_a_file_relative_to_the_base_dir(checks: Path) -> None:
    fn = load_function("checks.py:is_polite", checks.parent)
    ev = CustomEvaluator(fn, "polite")
    assert ev.kind == "pass_fail"  # from the `-> bool` annotation
    yes = await ev.evaluate(ITEM, "Please, hello")
    no = await ev.evaluate(ITEM, "hello")
    assert (yes.metric, yes.value, yes.passed) == ("polite", 1.0, True)
    assert (no.value, no.passed) == (0.0, False)
    assert load_function(f"{checks}:is_polite", Path("/nonexistent")) is fn  # absolute, cached


async def test_async_function_and_score_results(checks: Path) -> None:
    ratio = CustomEvaluator(load_function("checks.py:length_ratio", checks.parent), "ratio")
    assert ratio.kind == "score"
    assert (await ratio.evaluate(ITEM, "hello hello")).value == pytest.approx(11 / 5)
    scored = CustomEvaluator(load_function("checks.py:scored", checks.parent), "mine")
    assert await scored.evaluate(ITEM, "x") == Score(
        metric="mine", value=0.25, reason="custom reason"
    )


async def test_declared_kind_none_and_errors(checks: Path) -> None:
    base = checks.parent
    declared = CustomEvaluator(load_function("checks.py:declared", base), "declared")
    assert declared.kind == "pass_fail"
    assert (await declared.evaluate(ITEM, "x")).passed is True
    skipped = await CustomEvaluator(load_function("checks.py:not_applicable", base), "n").evaluate(
        ITEM, "x"
    )
    assert skipped.value is None
    assert skipped.reason == "does not apply to this item"
    raised = await CustomEvaluator(load_function("checks.py:explodes", base), "e").evaluate(
        ITEM, "x"
    )
    assert raised.value is None
    assert raised.reason == "raised RuntimeError: boom"
    odd = await CustomEvaluator(load_function("checks.py:wrong_type", base), "w").evaluate(
        ITEM, "x"
    )
    assert odd.value is None
    assert "expected a number, a bool, None or a Score" in (odd.reason or "")
    ratio_as_pass_fail = CustomEvaluator(
        load_function("checks.py:length_ratio", base), "r", kind="pass_fail"
    )
    bad = await ratio_as_pass_fail.evaluate(ITEM, "hello hello")
    assert bad.value is None
    assert "returns a bool" in (bad.reason or "")


def test_function_from_a_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "sg_test_custom_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "metrics.py").write_text(
        "def shouty(item, answer) -> bool:\n    return answer.isupper()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "sg_test_custom_pkg", raising=False)
    monkeypatch.delitem(sys.modules, "sg_test_custom_pkg.metrics", raising=False)
    fn = load_function("sg_test_custom_pkg.metrics:shouty", tmp_path)
    assert fn(ITEM, "HELLO") is True
    assert kind_of(fn) == "pass_fail"


def test_function_from_an_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sg_test_ep_module.py").write_text("def always(item, answer):\n    return 0.5\n")
    dist = tmp_path / "sg_test_ep-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sg-test-ep\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[sluicegate.evaluators]\nalways_half = sg_test_ep_module:always\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "sg_test_ep_module", raising=False)
    fn = load_function("always_half", tmp_path)
    assert fn(ITEM, "x") == 0.5
    with pytest.raises(EvaluatorSpecError, match=r"no evaluator 'nope'.*always_half"):
        load_function("nope", tmp_path)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing.py:fn", "does not exist"),
        ("checks.py:nothing", "has no attribute 'nothing'"),
        ("checks.py:NOT_A_FUNCTION", "is not a function"),
        ("checks.py:one_argument", "must accept two arguments"),
        ("checks.py:", "write path/to/file.py:function"),
        ("sg_no_such_module_here:fn", "no module 'sg_no_such_module_here'"),
    ],
)
def test_load_errors_are_readable(checks: Path, target: str, message: str) -> None:
    with pytest.raises(EvaluatorSpecError, match=message):
        load_function(target, checks.parent)


def test_a_file_that_fails_to_import(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("raise ImportError('needs numpy 9')\n")
    with pytest.raises(EvaluatorSpecError, match=r"importing .*broken\.py failed: ImportError"):
        load_function("broken.py:fn", tmp_path)


def test_a_wrong_declared_kind_is_refused() -> None:
    def fn(item: EvalItem, answer: str) -> float:
        return 1.0

    fn.kind = "ranking"  # type: ignore[attr-defined]
    with pytest.raises(EvaluatorSpecError, match="kind must be"):
        kind_of(fn)
