"""What `--prompt` names: a registered prompt version or label, or a local prompty file.

- `NAME@v3` (or `NAME@3`): version 3 of a prompt in the gateway's registry;
- `NAME@production`: whatever version the label points at when each request is served;
- `path/to/file.prompty` (anything ending in `.prompty`, or holding a `/`): a local file, rendered
  here and sent as plain messages, so it works against any OpenAI-compatible endpoint.

A registry reference is rendered by the gateway: the request carries
`"prompt": {"name", "version" | "label", "variables"}` and the reply's
`x-sluicegate-prompt-version` header says which version served it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

PROMPT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
"""Prompt and label names, as the registry accepts them."""
VERSION = re.compile(r"^v?([1-9][0-9]{0,8})$")
"""`3` or `v3`; no label may look like this, so `NAME@v3` is never ambiguous."""
VERSION_LIKE = re.compile(r"^[vV]?[0-9]+$")
"""What the registry refuses as a label because it is easily taken for a version (`v0`, `007`)."""

SpecKind = Literal["registry", "file"]


class PromptSpecError(ValueError):
    """A `--prompt` value that names nothing usable; the message says what is expected."""


@dataclass(frozen=True, slots=True)
class PromptSpec:
    text: str
    """As given on the command line; it keys the prompt's results in the run directory."""
    kind: SpecKind
    name: str
    """The registry name, or the file's name for a local prompty."""
    version: int | None = None
    label: str | None = None
    path: Path | None = None

    def request_field(self, variables: dict[str, Any]) -> dict[str, Any]:
        """The body's `prompt` object that asks the gateway to render this reference."""
        field: dict[str, Any] = {"name": self.name}
        if self.version is not None:
            field["version"] = self.version
        else:
            field["label"] = self.label
        field["variables"] = variables
        return field

    def describe(self) -> dict[str, Any]:
        """How the manifest and the summary record the request (not the resolution)."""
        if self.kind == "file":
            return {"spec": self.text, "kind": "file", "name": self.name, "path": str(self.path)}
        asked: dict[str, Any] = (
            {"version": self.version} if self.version is not None else {"label": self.label}
        )
        return {"spec": self.text, "kind": "registry", "name": self.name, **asked}


def parse_prompt_spec(text: str) -> PromptSpec:
    """Read one `--prompt` value; raises `PromptSpecError` with a message for the user."""
    text = text.strip()
    if not text:
        raise PromptSpecError("--prompt is empty: give NAME@vN, NAME@label or a .prompty file")
    if text.lower().endswith(".prompty") or "/" in text or "\\" in text:
        path = Path(text)
        if not path.is_file():
            raise PromptSpecError(f"--prompt {text}: no such prompty file")
        return PromptSpec(text, "file", path.name, path=path)
    name, at, ref = text.partition("@")
    if not at:
        raise PromptSpecError(
            f"--prompt {text}: name a version or label (NAME@v3, NAME@production) "
            "or give a path to a .prompty file"
        )
    if not PROMPT_NAME.match(name):
        raise PromptSpecError(
            f"--prompt {text}: {name!r} is not a prompt name (letters, digits, '.', '_', '-')"
        )
    version = VERSION.match(ref)
    if version is not None:
        return PromptSpec(text, "registry", name, version=int(version.group(1)))
    if not PROMPT_NAME.match(ref) or VERSION_LIKE.match(ref):
        raise PromptSpecError(
            f"--prompt {text}: after '@' comes a version (v1, v2 ...) or a label (production)"
        )
    return PromptSpec(text, "registry", name, label=ref)


def parse_prompt_specs(texts: list[str]) -> list[PromptSpec]:
    """All `--prompt` values; the same one twice is refused (it would compare a version with
    itself and key two prompts' results alike)."""
    if not texts:
        raise PromptSpecError("give at least one --prompt (the first one is the baseline)")
    specs = [parse_prompt_spec(text) for text in texts]
    seen: set[str] = set()
    for spec in specs:
        if spec.text in seen:
            raise PromptSpecError(f"--prompt {spec.text} is given twice")
        seen.add(spec.text)
    return specs
