"""JSON validity: pass when the answer parses as one JSON value (RFC 8259, via `json.loads`).

Chat models often wrap JSON in a Markdown code fence, and applications strip it, so an answer
that is exactly one fenced block — ```` ```json … ``` ```` or a bare ```` ``` … ``` ```` — is
judged on the block's content. Text before or after the fence fails: a consumer that expects
JSON would fail on it too. Surrounding whitespace is ignored. `NaN` and `Infinity` are refused
(they are not JSON).
"""

from __future__ import annotations

import json
import re
from typing import Any

from sluicegate.evals.evaluator import EvalItem, MetricKind, Score

_FENCE = re.compile(r"\A```[ \t]*(?:json)?[ \t]*\r?\n(?P<body>.*?)\r?\n?```\Z", re.S | re.I)


def unfence(answer: str) -> str:
    """The answer without surrounding whitespace and, when it is one code fence, its content."""
    stripped = answer.strip()
    found = _FENCE.match(stripped)
    return found.group("body") if found else stripped


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(answer: str) -> tuple[Any, str | None]:
    """(value, None) when the answer is JSON, else (None, why not)."""
    text = unfence(answer)
    try:
        return json.loads(text, parse_constant=_refuse_constant), None
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except ValueError as exc:
        return None, f"not JSON: {exc}"


class JsonValid:
    """Pass/fail: is the answer (or its single code fence) valid JSON?"""

    def __init__(self, name: str = "json") -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> MetricKind:
        return "pass_fail"

    async def evaluate(self, item: EvalItem, answer: str) -> Score:
        _, error = parse_json(answer)
        passed = error is None
        return Score(metric=self._name, value=1.0 if passed else 0.0, passed=passed, reason=error)
