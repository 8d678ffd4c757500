"""JSON schema conformance: pass when the answer is JSON (see `json_valid`, code fences
included) and validates against the schema.

The schema comes from a file named in the spec (JSON, or YAML for .yaml/.yml) or, without one,
from the item's `metadata.json_schema` (an object or a JSON string), so each item can carry its
own. The validator class follows the schema's `$schema` (Draft 2020-12 when absent); `format` is
not asserted. A failure's reason is the most relevant validation error and where it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from jsonschema import exceptions as schema_errors
from jsonschema import validators
from jsonschema.protocols import Validator

from sluicegate.evals.evaluator import EvalItem, MetricKind, Score
from sluicegate.evals.evaluators.errors import EvaluatorSpecError
from sluicegate.evals.evaluators.json_valid import parse_json
from sluicegate.evals.evaluators.references import not_applicable

METADATA_KEY = "json_schema"


def make_validator(schema: Any) -> Validator:
    """A validator for the schema; SchemaError when the schema itself is invalid."""
    if isinstance(schema, Mapping):
        schema = dict(schema)
    elif not isinstance(schema, bool):
        raise schema_errors.SchemaError("a schema must be a JSON object or a boolean")
    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def load_schema_file(path: Path) -> Validator:
    """Read and check a schema file, with readable errors for the user."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvaluatorSpecError(f"cannot read JSON schema {path}: {exc.strerror}") from None
    try:
        schema = (
            yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
        )
    except (ValueError, yaml.YAMLError) as exc:
        raise EvaluatorSpecError(f"JSON schema {path} does not parse: {exc}") from None
    try:
        return make_validator(schema)
    except schema_errors.SchemaError as exc:
        raise EvaluatorSpecError(f"{path} is not a valid JSON schema: {exc.message}") from None


def _describe(error: schema_errors.ValidationError) -> str:
    where = "/".join(str(part) for part in error.absolute_path)
    return f"{error.message} (at /{where})" if where else error.message


class JsonSchemaMatch:
    """Pass/fail: is the answer JSON that the schema accepts?"""

    def __init__(self, name: str = "json_schema", validator: Validator | None = None) -> None:
        self._name = name
        self._validator = validator

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> MetricKind:
        return "pass_fail"

    def _item_validator(self, item: EvalItem) -> Validator | str:
        raw = item.metadata.get(METADATA_KEY)
        if raw is None:
            return f"no schema: give a file in the spec or put one in metadata.{METADATA_KEY}"
        try:
            return make_validator(json.loads(raw) if isinstance(raw, str) else raw)
        except ValueError as exc:
            return f"metadata.{METADATA_KEY} does not parse: {exc}"
        except schema_errors.SchemaError as exc:
            return f"metadata.{METADATA_KEY} is not a valid JSON schema: {exc.message}"

    async def evaluate(self, item: EvalItem, answer: str) -> Score:
        validator = self._validator if self._validator is not None else self._item_validator(item)
        if isinstance(validator, str):
            return not_applicable(self._name, validator)
        value, error = parse_json(answer)
        if error is None:
            best = schema_errors.best_match(validator.iter_errors(value))
            if best is not None:
                error = f"does not match the schema: {_describe(best)}"
        passed = error is None
        return Score(metric=self._name, value=1.0 if passed else 0.0, passed=passed, reason=error)
