"""The chat request one prompt sends for one dataset item.

A registry reference becomes
`{"model", "messages": [], "prompt": {"name", "version" | "label", "variables"}}` and the
gateway renders it (into the messages, which stay empty here). A local prompty file is rendered
here, with the same library the gateway uses, into `{"model", "messages", ...}` plus the
file's `model.parameters` (temperature, max_tokens...), so the run measures what the file says;
`--model` always names the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sluicegate.evals.evaluator import EvalItem
from sluicegate.evals.prompt_specs import PromptSpec
from sluicegate.prompts.errors import PromptRenderError, PromptyError
from sluicegate.prompts.hashing import content_hash
from sluicegate.prompts.inputs import PromptInputError
from sluicegate.prompts.prompty import Prompty, parse_prompty
from sluicegate.prompts.render import render_messages

_NOT_PARAMETERS = frozenset({"model", "messages", "stream", "stream_options", "prompt", "n"})
"""Request fields a prompty file's parameters may not set: the run decides these."""
_PREVIEW = 3


class PromptLoadError(ValueError):
    """A prompt that cannot be used for this dataset; the message names file, line and item."""


@dataclass(frozen=True, slots=True)
class PreparedPrompt:
    spec: PromptSpec
    prompty: Prompty | None = None
    sha256: str | None = None
    """Of a local file's text: the manifest refuses to resume after the file changed."""

    @property
    def fixed_version(self) -> str | None:
        """What served every answer, when known before sending: a local file's name and hash
        prefix. Registry references learn it from each reply."""
        if self.sha256 is None:
            return None
        return f"{self.spec.name}#{self.sha256[:12]}"

    def describe(self) -> dict[str, Any]:
        described = self.spec.describe()
        if self.sha256 is not None:
            described["sha256"] = self.sha256
        return described

    def body(self, item: EvalItem, model: str) -> dict[str, Any]:
        """The request body for `item`; raises `PromptInputError` or `PromptRenderError` when
        a local prompty cannot render it."""
        variables = dict(item.inputs)
        if self.prompty is None:
            return {"model": model, "messages": [], "prompt": self.spec.request_field(variables)}
        messages = render_messages(self.prompty, variables)
        parameters = {
            key: value
            for key, value in self.prompty.model.parameters.items()
            if key not in _NOT_PARAMETERS
        }
        return {**parameters, "model": model, "messages": messages}


def prepare(spec: PromptSpec) -> PreparedPrompt:
    """Read and parse a local prompty file; a registry reference needs nothing here."""
    if spec.kind == "registry" or spec.path is None:
        return PreparedPrompt(spec)
    try:
        text = spec.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PromptLoadError(f"{spec.path}: cannot read the prompty file: {error}") from None
    try:
        prompty = parse_prompty(text)
    except PromptyError as error:
        raise PromptLoadError(f"{spec.path}: {error}") from None
    if prompty.model.api != "chat":
        raise PromptLoadError(f"{spec.path}: model.api is {prompty.model.api!r}; only chat runs")
    return PreparedPrompt(spec, prompty, content_hash(text))


def check_renders(prompts: Sequence[PreparedPrompt], items: Sequence[EvalItem]) -> None:
    """Render every item with every local prompt before anything is sent, so a dataset whose
    variables do not fit a prompt stops the run at once, naming the items."""
    for prompt in prompts:
        if prompt.prompty is None:
            continue
        failures: list[str] = []
        count = 0
        for item in items:
            try:
                prompt.body(item, "check")
            except (PromptInputError, PromptRenderError) as error:
                count += 1
                if len(failures) < _PREVIEW:
                    failures.append(f"item {item.id}: {error}")
        if count:
            more = f" (and {count - len(failures)} more)" if count > len(failures) else ""
            raise PromptLoadError(
                f"{prompt.spec.text} cannot render {count} of {len(items)} item(s): "
                + "; ".join(failures)
                + more
            )
