"""What `--prompt` accepts: registry versions and labels, or local prompty files."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluicegate.evals.prompt_requests import PromptLoadError, prepare
from sluicegate.evals.prompt_specs import PromptSpecError, parse_prompt_spec, parse_prompt_specs


@pytest.mark.parametrize(
    ("text", "version", "label"),
    [
        ("support@v3", 3, None),
        ("support@12", 12, None),
        ("support-answer.v2@production", None, "production"),
        ("qa@staging_2", None, "staging_2"),
    ],
)
def test_registry_references(text: str, version: int | None, label: str | None) -> None:
    spec = parse_prompt_spec(text)
    assert spec.kind == "registry"
    assert (spec.version, spec.label) == (version, label)
    field = spec.request_field({"q": 1})
    assert field["name"] == text.split("@")[0]
    assert field["variables"] == {"q": 1}
    assert ("version" in field, "label" in field) == (version is not None, label is not None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("support", "name a version or label"),
        ("@v3", "is not a prompt name"),
        ("support@", "after '@' comes a version"),
        ("support@v0", "after '@' comes a version"),
        ("sup port@v1", "is not a prompt name"),
        ("missing.prompty", "no such prompty file"),
        ("", "--prompt is empty"),
    ],
)
def test_mistakes(text: str, message: str) -> None:
    with pytest.raises(PromptSpecError, match=message):
        parse_prompt_spec(text)


def test_the_same_prompt_twice_or_none_is_refused() -> None:
    with pytest.raises(PromptSpecError, match="given twice"):
        parse_prompt_specs(["qa@v1", "qa@v1"])
    with pytest.raises(PromptSpecError, match="at least one --prompt"):
        parse_prompt_specs([])


def test_a_local_file(tmp_path: Path) -> None:
    path = tmp_path / "qa.prompty"
    path.write_text("---\nname: qa\ninputs:\n  q:\n    type: string\n---\nuser:\n{{q}}\n")
    prepared = prepare(parse_prompt_spec(str(path)))
    assert prepared.spec.kind == "file"
    assert prepared.describe()["sha256"] == prepared.sha256


def test_a_broken_prompty_names_its_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.prompty"
    path.write_text("---\nname: [unclosed\n---\nuser:\nhi\n")
    with pytest.raises(PromptLoadError, match=r"bad\.prompty: line \d"):
        prepare(parse_prompt_spec(str(path)))
