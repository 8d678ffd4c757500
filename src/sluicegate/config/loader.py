"""Read a YAML config file: expand `${ENV}` references, validate, explain what is wrong.

A wrong config must stop start-up with a message that names the key and says how to fix it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sluicegate.config.settings import GatewayConfig

Model = TypeVar("Model", bound=BaseModel)

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """A config that cannot be used; the message lists every problem, one per line."""


def expand_env(value: Any, env: Mapping[str, str], path: str = "") -> Any:
    """Replace `${VAR}` and `${VAR:-default}` in every string of a parsed YAML document."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            raise ConfigError(
                f"{path or '(root)'}: environment variable {name} is not set; "
                f"export {name}=... or write ${{{name}:-default}} to give a default"
            )

        return _REFERENCE.sub(substitute, value)
    if isinstance(value, dict):
        return {key: expand_env(item, env, _join(path, str(key))) for key, item in value.items()}
    if isinstance(value, list):
        return [expand_env(item, env, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


def parse_document(
    data: Any, model: type[Model], env: Mapping[str, str] | None = None, source: str = "config"
) -> Model:
    """Validate an already-parsed document against `model`, with readable errors."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of keys to values")
    expanded = expand_env(data, os.environ if env is None else env)
    try:
        return model.model_validate(expanded)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None


def load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


def load_config(path: Path, env: Mapping[str, str] | None = None) -> GatewayConfig:
    """Load and validate a gateway config file."""
    return parse_document(load_yaml(path), GatewayConfig, env, str(path))


def load_model(path: Path, model: type[Model], env: Mapping[str, str] | None = None) -> Model:
    """Load and validate any settings file (the simulator's, for one)."""
    return parse_document(load_yaml(path), model, env, str(path))


def format_validation_error(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: {exc.error_count()} problem(s):"]
    for error in exc.errors(include_url=False):
        key = _location(error["loc"])
        lines.append(f"  - {key}: {_explain(error)}")
    return "\n".join(lines)


def _explain(error: Any) -> str:
    kind = error["type"]
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return "is required; add it"
    if kind == "extra_forbidden":
        return "is not a known setting; check the spelling (docs/configuration.md lists every key)"
    if kind == "union_tag_invalid":
        return f"{message}"
    if kind == "literal_error":
        return message.replace("Input should be", "must be one of:")
    return message


def _location(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = _join(path, str(part))
    return path or "(root)"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
