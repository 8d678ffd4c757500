"""YAML documents validated by a settings model, with errors that name the field and its line.

The planner's files are edited by hand, so a mistake must point at the line to change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sluicegate.config.loader import format_validation_error
from sluicegate.planner.errors import PlanInputError

Model = TypeVar("Model", bound=BaseModel)


def load_document(path: Path, model: type[Model], what: str) -> Model:
    """Read and validate the YAML file at `path` as `model` (`what` names it in errors)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PlanInputError(f"{path}: cannot read the {what} ({error.strerror})") from None
    return parse_text(text, model, what, str(path))


def parse_text(text: str, model: type[Model], what: str, source: str) -> Model:
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        raise PlanInputError(f"{source}: the {what} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise PlanInputError(f"{source}: the {what} must be a mapping of keys to values")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        lines = format_validation_error(error, source).splitlines()
        located = [lines[0]]
        for detail, line in zip(error.errors(include_url=False), lines[1:], strict=True):
            number = _line_of(root, detail["loc"])
            located.append(f"{line} (line {number})" if number else line)
        raise PlanInputError("\n".join(located)) from None


def _line_of(node: Any, location: tuple[Any, ...]) -> int | None:
    """The 1-based line of the value at `location`, or of its nearest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in location:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == str(part)), None)
            if child is None:  # an unknown key: point at the key itself
                child = next((k for k, _ in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line
