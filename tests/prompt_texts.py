"""Prompty sources the gateway's prompt tests push and render."""

from __future__ import annotations

from typing import Any

from sluicegate.core.prompts import LabelTarget, PromptStore, PromptVersion
from sluicegate.prompts.hashing import content_hash


def chat_prompt(
    *,
    greeting: str = "You are a {{ tone }} support agent for {{ product }}.",
    model: str | None = None,
    parameters: str = "temperature: 0.2\n    max_tokens: 40",
) -> str:
    """A chat prompt with one required input (`question`), one with a default (`tone`), and
    one more required (`product`)."""
    configuration = (
        f"\n  configuration:\n    type: azure_openai\n    azure_deployment: {model}"
        if model
        else ""
    )
    return f"""---
name: support-answer
model:
  api: chat{configuration}
  parameters:
    {parameters}
inputs:
  question:
    type: string
  product:
    type: string
  tone:
    type: string
    default: friendly
---
system:
{greeting}

user:
{{{{ question }}}}
"""


COMPLETION_PROMPT = """---
name: haiku
model:
  api: completion
  parameters:
    max_tokens: 30
inputs:
  topic:
    type: string
---
Write a haiku about {{ topic }}.
"""

VARIABLES: dict[str, Any] = {"question": "Where is my order?", "product": "Sluice"}


def question_prompt(name: str, max_tokens: int, system: str) -> str:
    """A prompt that answers its one input, `question`, deterministically (temperature 0) in
    at most `max_tokens`: what evaluation runs compare, one version against another."""
    return f"""---
name: {name}
model:
  parameters:
    max_tokens: {max_tokens}
    temperature: 0
inputs:
  question:
    type: string
---
system:
{system}

user:
{{{{question}}}}
"""


async def push(store: PromptStore, name: str, source: str, author: str = "test") -> PromptVersion:
    """Store `source` as the next version of `name`."""
    latest = await store.latest(name)
    return await store.add_version(
        name,
        source,
        content_hash(source),
        author=author,
        message="",
        parent=latest.version if latest is not None else None,
    )


async def point(store: PromptStore, name: str, label: str, *targets: tuple[int, int]) -> None:
    await store.move_label(
        name, label, [LabelTarget(version, weight) for version, weight in targets], actor="test"
    )
