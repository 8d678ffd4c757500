"""User-defined evaluators: plain Python functions `(item, answer) -> float | bool | Score`.

A function is named in one of three ways:

- `path/to/file.py:function` — the file is imported (relative paths from the base directory);
- `package.module:function` — an importable module (installed, or on PYTHONPATH);
- `name` — an entry point `name` in the group `sluicegate.evaluators` of an installed package.

The function may be sync or async. Its kind is its `kind` attribute ("pass_fail" or "score")
when it has one, else "pass_fail" when its return annotation is `bool`, else "score". What it
returns becomes a Score: a bool passes or fails (value 1 or 0); a number is the value (a
pass/fail function may return only 0 or 1); None means "does not apply to this item"; a Score
is kept, under this evaluator's name. A sync function runs on the event loop, so keep it quick
or make it async. An exception from the function is recorded as that item's reason (value
None), so that one bad item does not end a run.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import math
import sys
import typing
from collections.abc import Callable
from dataclasses import replace
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, cast

from sluicegate.evals.evaluator import EvalItem, MetricKind, Score
from sluicegate.evals.evaluators.errors import EvaluatorSpecError

ENTRY_POINT_GROUP = "sluicegate.evaluators"
_KINDS: tuple[MetricKind, ...] = ("pass_fail", "score")

CustomFn = Callable[[EvalItem, str], Any]


def _is_path(location: str) -> bool:
    return location.endswith(".py") or "/" in location or "\\" in location


def _load_file(path: Path) -> Any:
    if not path.is_file():
        raise EvaluatorSpecError(f"custom evaluator file {path} does not exist")
    path = path.resolve()
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    module_name = f"sluicegate_custom_evaluator_{digest}"
    loaded = sys.modules.get(module_name)
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise EvaluatorSpecError(f"cannot import {path} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise EvaluatorSpecError(f"importing {path} failed: {type(exc).__name__}: {exc}") from None
    return module


def _load_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise EvaluatorSpecError(
            f"no module {exc.name!r} (for a file, write path/to/file.py:function)"
        ) from None
    except Exception as exc:
        raise EvaluatorSpecError(f"importing {name} failed: {type(exc).__name__}: {exc}") from None


def _load_entry_point(name: str) -> Any:
    found = entry_points(group=ENTRY_POINT_GROUP, name=name)
    if not found:
        known = sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
        listed = ", ".join(known) if known else "none is installed"
        raise EvaluatorSpecError(
            f"no evaluator {name!r} in entry point group {ENTRY_POINT_GROUP} ({listed}); "
            "name a function as path/to/file.py:function or module:function"
        )
    entry = next(iter(found))
    try:
        return entry.load()
    except Exception as exc:
        raise EvaluatorSpecError(
            f"loading entry point {name} ({entry.value}) failed: {type(exc).__name__}: {exc}"
        ) from None


def load_function(target: str, base_dir: Path) -> CustomFn:
    """The function that `target` names (see the module docstring for the three forms)."""
    if ":" in target:
        location, _, attribute = target.rpartition(":")
        if not location or not attribute:
            raise EvaluatorSpecError(
                f"{target!r}: write path/to/file.py:function or module:function"
            )
        if _is_path(location):
            path = Path(location).expanduser()
            module = _load_file(path if path.is_absolute() else base_dir / path)
        else:
            module = _load_module(location)
        found: Any = module
        for part in attribute.split("."):
            if not hasattr(found, part):
                raise EvaluatorSpecError(f"{location} has no attribute {attribute!r}")
            found = getattr(found, part)
    else:
        found = _load_entry_point(target)
    if not callable(found):
        raise EvaluatorSpecError(f"{target} is not a function")
    try:
        inspect.signature(found).bind(None, None)
    except TypeError:
        raise EvaluatorSpecError(f"{target} must accept two arguments: (item, answer)") from None
    except ValueError:
        pass  # builtins without a signature: let a call tell
    return cast(CustomFn, found)


def kind_of(fn: CustomFn) -> MetricKind:
    """The declared `kind` attribute, else pass_fail for a `-> bool` function, else score."""
    declared = getattr(fn, "kind", None)
    if declared is not None:
        if declared not in _KINDS:
            raise EvaluatorSpecError(f"kind must be 'pass_fail' or 'score', not {declared!r}")
        return cast(MetricKind, declared)
    try:
        returns = typing.get_type_hints(fn).get("return")
    except Exception:
        returns = getattr(fn, "__annotations__", {}).get("return")
    return "pass_fail" if returns is bool or returns == "bool" else "score"


class CustomEvaluator:
    """Adapts a user function to the Evaluator protocol."""

    def __init__(self, fn: CustomFn, name: str, kind: MetricKind | None = None) -> None:
        self._fn = fn
        self._name = name
        self._kind = kind or kind_of(fn)

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> MetricKind:
        return self._kind

    def _score(self, result: Any) -> Score:
        name = self._name
        if isinstance(result, Score):
            return result if result.metric == name else replace(result, metric=name)
        if result is None:
            return Score(metric=name, value=None, reason="does not apply to this item")
        if isinstance(result, bool):
            passed = result if self._kind == "pass_fail" else None
            return Score(metric=name, value=1.0 if result else 0.0, passed=passed)
        if isinstance(result, int | float) and math.isfinite(result):
            if self._kind == "score":
                return Score(metric=name, value=float(result))
            if result in (0, 1):
                return Score(metric=name, value=float(result), passed=result == 1)
            why = f"returned {result!r}; a pass/fail evaluator returns a bool (or 0 or 1)"
            return Score(metric=name, value=None, reason=why)
        why = f"returned {result!r}; expected a number, a bool, None or a Score"
        return Score(metric=name, value=None, reason=why)

    async def evaluate(self, item: EvalItem, answer: str) -> Score:
        try:
            result = self._fn(item, answer)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            return Score(
                metric=self._name, value=None, reason=f"raised {type(exc).__name__}: {exc}"
            )
        return self._score(result)
