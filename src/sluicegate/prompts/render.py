"""Rendering a prompt: bind the variables, render the template, split it into chat messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluicegate.prompts.errors import PromptRenderError
from sluicegate.prompts.inputs import bind_variables
from sluicegate.prompts.prompty import TEMPLATE_FORMATS, Prompty
from sluicegate.prompts.roles import restore_markers, split_messages
from sluicegate.prompts.template import render_template

__all__ = ["PromptRenderError", "render_messages", "render_text"]


def render_messages(prompty: Prompty, variables: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The chat messages of `prompty` rendered with `variables`.

    Raises `PromptInputError` when the variables do not fit the declared inputs, and
    `PromptRenderError` when the template fails or renders no message at all.
    """
    bound = bind_variables(prompty.inputs, variables)
    messages = split_messages(_render(prompty, bound))
    if not messages:
        raise PromptRenderError(
            "the prompt renders to no message: its body is empty or blank once rendered"
        )
    return messages


def render_text(prompty: Prompty, variables: Mapping[str, Any]) -> str:
    """The prompt rendered as one text (for `api: completion`), without surrounding blanks."""
    bound = bind_variables(prompty.inputs, variables)
    return restore_markers(_render(prompty, bound)).strip()


def _render(prompty: Prompty, bound: Mapping[str, Any]) -> str:
    if prompty.template_format not in TEMPLATE_FORMATS:
        raise PromptRenderError(
            f"template format {prompty.template_format!r} is not supported (only jinja2)"
        )
    return render_template(prompty.body, bound)
