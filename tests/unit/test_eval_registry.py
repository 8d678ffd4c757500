"""Evaluator specs as the command line passes them: the grammar, the names, and the errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluicegate.evals.evaluator import EvalItem
from sluicegate.evals.evaluators.errors import EvaluatorSpecError
from sluicegate.evals.registry import (
    BUILDERS,
    EvaluatorContext,
    build_evaluator,
    build_evaluators,
    parse_spec,
    split_specs,
)


async def fake_complete(messages: list[dict[str, str]]) -> str:
    return '{"reasoning": "ok", "score": 4}'


async def fake_embed(texts: list[str]) -> list[list[float]]:
    return [[1.0, float(len(t))] for t in texts]


def test_split_specs_honours_escaped_commas() -> None:
    text = r"exact, f1,regex:^\d{1\,3}$,,judge:groundedness"
    assert split_specs(text) == ["exact", "f1", r"regex:^\d{1,3}$", "judge:groundedness"]
    assert split_specs("") == []


def test_parse_spec() -> None:
    assert parse_spec("f1") == parse_spec(" f1 ")
    spec = parse_spec(r"regex:^\d+$")
    assert (spec.label, spec.name, spec.argument) == (r"regex:^\d+$", "regex", r"^\d+$")
    labelled = parse_spec("polite=custom:checks.py:is_polite")
    assert (labelled.label, labelled.name, labelled.argument) == (
        "polite",
        "custom",
        "checks.py:is_polite",
    )
    # "=" after the first ":" belongs to the argument
    assert parse_spec("regex:a=b").argument == "a=b"
    assert parse_spec("regex:").argument == ""


async def test_the_cli_example_builds_every_evaluator(tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text('{"type": "object"}')
    (tmp_path / "checks.py").write_text("def is_polite(item, answer) -> bool:\n    return True\n")
    context = EvaluatorContext(complete=fake_complete, embed=fake_embed, base_dir=tmp_path)
    text = (
        r"exact:case+whitespace,f1,regex:^\d+$,json_schema:schema.json,bleu,rouge_l,"
        r"judge:groundedness,custom:checks.py:is_polite,json,regex_full:\d+,embedding"
    )
    evaluators = build_evaluators(split_specs(text), context)
    assert [(e.name, e.kind) for e in evaluators] == [
        ("exact:case+whitespace", "pass_fail"),
        ("f1", "score"),
        (r"regex:^\d+$", "pass_fail"),
        ("json_schema:schema.json", "pass_fail"),
        ("bleu", "score"),
        ("rouge_l", "score"),
        ("judge:groundedness", "score"),
        ("custom:checks.py:is_polite", "pass_fail"),
        ("json", "pass_fail"),
        (r"regex_full:\d+", "pass_fail"),
        ("embedding", "score"),
    ]
    item = EvalItem(id="1", inputs={}, expected=" 42", metadata={"context": "c"})
    scores = {e.name: await e.evaluate(item, "42") for e in evaluators}
    assert scores["exact:case+whitespace"].passed is True
    assert scores[r"regex:^\d+$"].passed is True
    assert scores["json_schema:schema.json"].passed is False  # 42 is not an object
    assert scores["judge:groundedness"].value == 4.0


def test_options_and_arguments_reach_the_evaluator() -> None:
    context = EvaluatorContext()
    exact = build_evaluator("exact:squad", context)
    assert exact.name == "exact:squad"
    with pytest.raises(EvaluatorSpecError, match=r"unknown option 'shouting'.*case, whitespace"):
        build_evaluator("exact:case+shouting", context)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("rouge", r"unknown evaluator 'rouge' \(did you mean rouge_l\?\); evaluators are exact"),
        ("bleurt", "unknown evaluator 'bleurt'"),
        ("f1:yes", "f1 takes no argument"),
        ("judge", "judge needs a rubric"),
        ("judge:politeness", "unknown rubric 'politeness'; rubrics are groundedness"),
        ("judge:relevance", "needs a judge model"),
        ("embedding", "needs an embeddings model"),
        ("custom", "custom needs a function"),
        ("regex:(", "invalid regular expression"),
        ("json_schema:missing.json", "cannot read JSON schema"),
        (":x", "starts with a name"),
    ],
)
def test_spec_errors_are_readable(spec: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(EvaluatorSpecError, match=message):
        build_evaluator(spec, EvaluatorContext(base_dir=tmp_path))


def test_duplicate_names_need_a_label() -> None:
    context = EvaluatorContext()
    with pytest.raises(EvaluatorSpecError, match="two evaluators are named 'f1'"):
        build_evaluators(["f1", "f1"], context)
    built = build_evaluators(["f1", "again=f1"], context)
    assert [e.name for e in built] == ["f1", "again"]
    with pytest.raises(EvaluatorSpecError, match="no evaluator given"):
        build_evaluators([], context)


def test_every_documented_name_is_registered() -> None:
    assert set(BUILDERS) == {
        "exact", "f1", "regex", "regex_full", "json", "json_schema", "bleu", "rouge_l",
        "embedding", "judge", "custom",
    }  # fmt: skip
