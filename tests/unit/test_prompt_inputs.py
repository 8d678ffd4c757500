"""Binding a caller's variables to a prompt's declared inputs: defaults, JSON types, and one
error that names every problem."""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.prompts.inputs import PromptInput, PromptInputError, bind_variables, matches_type

INPUTS = (
    PromptInput("question", "string"),
    PromptInput("count", "integer", default=3, has_default=True),
    PromptInput("tags", "array", default=["a"], has_default=True),
    PromptInput("tone", "string", default=None, has_default=True),
)


def test_defaults_fill_what_the_caller_left_out() -> None:
    assert bind_variables(INPUTS, {"question": "Why?"}) == {
        "question": "Why?",
        "count": 3,
        "tags": ["a"],
        "tone": None,
    }


def test_the_callers_values_win_over_defaults() -> None:
    bound = bind_variables(INPUTS, {"question": "Q", "count": 9, "tags": [], "tone": "dry"})
    assert bound == {"question": "Q", "count": 9, "tags": [], "tone": "dry"}


def test_defaults_are_copies() -> None:
    bound = bind_variables(INPUTS, {"question": "Q"})
    bound["tags"].append("changed")
    assert INPUTS[2].default == ["a"]
    assert bind_variables(INPUTS, {"question": "Q"})["tags"] == ["a"]


def test_null_is_accepted_only_where_the_default_is_null() -> None:
    assert bind_variables(INPUTS, {"question": "Q", "tone": None})["tone"] is None
    with pytest.raises(PromptInputError) as caught:
        bind_variables(INPUTS, {"question": None})
    assert caught.value.wrong_type == ("question",)


def test_every_problem_is_named_at_once() -> None:
    declared = (
        PromptInput("a", "string"),
        PromptInput("b", "number"),
        PromptInput("c", "boolean"),
        PromptInput("d", "object"),
    )
    with pytest.raises(PromptInputError) as caught:
        bind_variables(declared, {"b": "1", "d": [], "zeta": 1, "alpha": 2})
    error = caught.value
    assert error.missing == ("a", "c")
    assert error.unexpected == ("alpha", "zeta")
    assert error.wrong_type == ("b", "d")
    assert str(error) == (
        "missing required input(s): a, c; undeclared input(s): alpha, zeta; "
        "wrong type: b (expected number, got string), d (expected object, got array)"
    )
    assert isinstance(error, ValueError)


def test_undeclared_variables_are_refused_even_when_nothing_is_declared() -> None:
    with pytest.raises(PromptInputError) as caught:
        bind_variables((), {"x": 1})
    assert caught.value.unexpected == ("x",)
    assert caught.value.missing == ()
    assert bind_variables((), {}) == {}


@pytest.mark.parametrize(
    ("value", "declared", "ok"),
    [
        ("text", "string", True),
        (1, "string", False),
        (1, "number", True),
        (1.5, "number", True),
        (True, "number", False),
        (float("nan"), "number", False),
        (float("inf"), "number", False),
        (2, "integer", True),
        (2.0, "integer", True),
        (2.5, "integer", False),
        (False, "integer", False),
        (True, "boolean", True),
        (1, "boolean", False),
        ([1, "a"], "array", True),
        ((1, 2), "array", True),
        ("ab", "array", False),
        ({"k": 1}, "object", True),
        ({1: "k"}, "object", False),
        ([], "object", False),
        (None, "any", True),
        ({"k": [1]}, "any", True),
        ("x", "nonsense", False),
    ],
)
def test_json_types(value: Any, declared: str, ok: bool) -> None:
    assert matches_type(value, declared) is ok
