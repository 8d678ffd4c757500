"""Declared prompt inputs and the binding of a caller's variables to them.

A prompt states what it needs; the caller's variables are checked against that before anything
renders, so a typo in a variable name is an error instead of a silently empty placeholder, and a
template never sees a value of a type its author did not expect.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

JSON_TYPES: tuple[str, ...] = ("string", "number", "integer", "boolean", "array", "object", "any")


@dataclass(frozen=True)
class PromptInput:
    """One declared input: a JSON type, and optionally a default that makes it optional."""

    name: str
    type: str
    description: str = ""
    default: Any = None
    has_default: bool = False


class PromptInputError(ValueError):
    """The variables do not fit the declared inputs; every problem is named at once."""

    def __init__(
        self,
        missing: Sequence[str] = (),
        unexpected: Sequence[str] = (),
        wrong_type: Sequence[str] = (),
        details: Mapping[str, str] | None = None,
    ) -> None:
        self.missing: tuple[str, ...] = tuple(missing)
        self.unexpected: tuple[str, ...] = tuple(unexpected)
        self.wrong_type: tuple[str, ...] = tuple(wrong_type)
        parts: list[str] = []
        if self.missing:
            parts.append("missing required input(s): " + ", ".join(self.missing))
        if self.unexpected:
            parts.append("undeclared input(s): " + ", ".join(self.unexpected))
        if self.wrong_type:
            described = [f"{n} ({(details or {}).get(n, 'wrong type')})" for n in self.wrong_type]
            parts.append("wrong type: " + ", ".join(described))
        super().__init__("; ".join(parts) or "invalid prompt variables")


def json_type_name(value: Any) -> str:
    """The JSON type of a Python value as a prompt declares it ("null" for None)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def matches_type(value: Any, declared: str) -> bool:
    """Whether `value` is of the declared JSON type (bool is not a number; 2.0 is an integer)."""
    if declared == "any":
        return True
    if declared == "string":
        return isinstance(value, str)
    if declared == "boolean":
        return isinstance(value, bool)
    if declared == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        return isinstance(value, float) and math.isfinite(value) and value.is_integer()
    if declared == "number":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    if declared == "array":
        return isinstance(value, list | tuple)
    if declared == "object":
        return isinstance(value, Mapping) and all(isinstance(k, str) for k in value)
    return False


def bind_variables(inputs: Sequence[PromptInput], variables: Mapping[str, Any]) -> dict[str, Any]:
    """The variables a template renders with: the caller's, plus defaults for the rest.

    Raises `PromptInputError` naming every missing, undeclared and mistyped variable. Defaults
    are copied, so a template can never change the value the next render sees.
    """
    declared = {item.name: item for item in inputs}
    unexpected = sorted(name for name in variables if name not in declared)
    missing: list[str] = []
    wrong: list[str] = []
    details: dict[str, str] = {}
    bound: dict[str, Any] = {}
    for item in inputs:
        if item.name in variables:
            value = variables[item.name]
            null_ok = value is None and item.has_default and item.default is None
            if not null_ok and not matches_type(value, item.type):
                wrong.append(item.name)
                details[item.name] = f"expected {item.type}, got {json_type_name(value)}"
                continue
            bound[item.name] = value
        elif item.has_default:
            bound[item.name] = copy.deepcopy(item.default)
        else:
            missing.append(item.name)
    if missing or unexpected or wrong:
        raise PromptInputError(missing, unexpected, wrong, details)
    return bound
