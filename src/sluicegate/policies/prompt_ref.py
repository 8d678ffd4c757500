"""Which registered prompt a model request asks the gateway to render, and with what.

A chat request names it in its body (`"prompt": {"name": ..., "label" | "version": ...,
"variables": {...}}`; the openai SDK sends that through `extra_body`) or in the header
`x-sluicegate-prompt: NAME[@label|@vN]`, whose variables then come from the body's
`prompt.variables`. Neither a label nor a version means the label `production`.

On `/v1/completions` a text or array `prompt` is OpenAI's own field and is left alone; only an
object is a reference. Embeddings take no prompt template. Reading a reference is pure and
reveals nothing about which prompts exist: that is decided later, after authentication.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluicegate.core.errors import InvalidRequest
from sluicegate.core.prompts import PROMPT_NAME_PATTERN, VERSION_TOKEN
from sluicegate.wire.endpoints import Endpoint

PROMPT_HEADER = "x-sluicegate-prompt"
"""Names a registered prompt to render: `NAME`, `NAME@label` or `NAME@v3`."""
PROMPT_FIELD = "prompt"
DEFAULT_LABEL = "production"
_BODY_KEYS = frozenset({"name", "label", "version", "variables"})
_NAME_RULE = "1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit"


@dataclass(frozen=True, slots=True)
class PromptReference:
    """A prompt to render: by label (`version` None) or one version (`label` None)."""

    name: str
    label: str | None
    version: int | None
    variables: Mapping[str, Any]
    strip_field: bool
    """The body's `prompt` field is the reference (or carries its variables) and must not
    reach the backend; False when it is OpenAI's own completion prompt."""
    source: str
    """Where the reference came from, for messages: `prompt` or the header's name."""

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}@v{self.version}"
        return f"{self.name}@{self.label}"


def find_reference(
    body: Mapping[str, Any], header: str | None, endpoint: Endpoint
) -> PromptReference | None:
    """The reference a request carries, None when it carries none; `InvalidRequest` (400)
    when it is malformed or sent to an endpoint that takes no prompt template."""
    field = body.get(PROMPT_FIELD)
    if header is None:
        if field is None or (endpoint is not Endpoint.CHAT and not _names_a_prompt(field)):
            return None  # the common case; a completion's own text prompt passes untouched
        if endpoint is Endpoint.EMBEDDINGS:
            raise _not_here(PROMPT_FIELD)
        return _from_body(field)
    if endpoint is Endpoint.EMBEDDINGS:
        raise _not_here(PROMPT_HEADER)
    name, label, version = parse_header(header)
    if field is None or (endpoint is Endpoint.COMPLETIONS and not isinstance(field, dict)):
        return PromptReference(name, label, version, {}, False, PROMPT_HEADER)
    if not isinstance(field, dict) or set(field) - {"variables"}:
        raise InvalidRequest(
            f"The header {PROMPT_HEADER} names the prompt; the body's 'prompt' may then carry "
            "only 'variables' (an object).",
            param=PROMPT_FIELD,
        )
    return PromptReference(name, label, version, _variables(field), True, PROMPT_HEADER)


def parse_header(value: str) -> tuple[str, str | None, int | None]:
    """`NAME`, `NAME@label`, `NAME@v3` or `NAME@3` → (name, label, version)."""
    name, at, selector = value.strip().partition("@")
    _check_name(name, PROMPT_HEADER)
    if not at:
        return name, DEFAULT_LABEL, None
    version = VERSION_TOKEN.match(selector)
    if version is not None:
        return name, None, int(version.group(1))
    return name, _check_label(selector, PROMPT_HEADER), None


def _names_a_prompt(field: object) -> bool:
    return isinstance(field, dict) and "name" in field


def _from_body(field: object) -> PromptReference:
    if not isinstance(field, dict):
        raise InvalidRequest(
            "'prompt' must be an object naming a registered prompt, such as "
            '{"name": "support-answer", "label": "production", "variables": {...}}.',
            param=PROMPT_FIELD,
        )
    unknown = sorted(str(key) for key in field if key not in _BODY_KEYS)
    if unknown:
        raise InvalidRequest(
            f"'prompt' has unknown field(s): {', '.join(_short(k) for k in unknown[:5])}; "
            "it takes name, label or version, and variables.",
            param=PROMPT_FIELD,
        )
    if "name" not in field:
        raise InvalidRequest("'prompt.name' is required.", param="prompt.name")
    name = _check_name(field["name"], "prompt.name")
    label = field.get("label")
    version = field.get("version")
    if label is not None and version is not None:
        raise InvalidRequest(
            "Give either 'prompt.label' or 'prompt.version', not both.", param="prompt.version"
        )
    if version is not None:
        return PromptReference(
            name, None, _check_version(version), _variables(field), True, PROMPT_FIELD
        )
    label = DEFAULT_LABEL if label is None else _check_label(label, "prompt.label")
    return PromptReference(name, label, None, _variables(field), True, PROMPT_FIELD)


def _variables(field: Mapping[str, Any]) -> Mapping[str, Any]:
    variables = field.get("variables")
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise InvalidRequest(
            "'prompt.variables' must be an object of the prompt's inputs by name.",
            param="prompt.variables",
        )
    return variables


def _check_name(name: object, param: str) -> str:
    if not isinstance(name, str) or not PROMPT_NAME_PATTERN.match(name):
        raise InvalidRequest(f"{_short(name)} is not a prompt name: {_NAME_RULE}.", param=param)
    return name


def _check_label(label: object, param: str) -> str:
    if not isinstance(label, str) or not PROMPT_NAME_PATTERN.match(label):
        raise InvalidRequest(f"{_short(label)} is not a label name: {_NAME_RULE}.", param=param)
    if VERSION_TOKEN.match(label):
        raise InvalidRequest(
            f"{_short(label)} is a version, not a label; send it as 'prompt.version'.",
            param=param,
        )
    return label


def _check_version(version: object) -> int:
    if isinstance(version, int) and not isinstance(version, bool) and 1 <= version < 10**9:
        return version
    found = VERSION_TOKEN.match(version) if isinstance(version, str) else None
    if found is None:
        raise InvalidRequest(
            f'{_short(version)} is not a version: give its number, as 3 or "v3".',
            param="prompt.version",
        )
    return int(found.group(1))


def _not_here(where: str) -> InvalidRequest:
    return InvalidRequest(
        "Prompt templates render into chat completions and completions only; this operation "
        "takes no prompt reference.",
        param=where,
    )


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
