"""The request body a rendered prompt becomes: the prompt's defaults under the caller's fields.

Precedence, lowest first: the prompt's `model.parameters`, the model its configuration names
(only when the request has neither a `model` nor a deployment in its path), then every field of
the request itself. The rendered messages come before the request's own `messages`, so a
request may send only the prompt, or add turns after it. The reference itself never reaches the
backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sluicegate.core.errors import InvalidRequest
from sluicegate.policies.prompt_ref import PROMPT_FIELD


def chat_body(
    request: Mapping[str, Any],
    rendered: Sequence[dict[str, Any]],
    defaults: dict[str, Any],
    model: str | None,
    *,
    strip_field: bool = True,
) -> dict[str, Any]:
    """The chat body to forward. `defaults` is a fresh dict of the prompt's parameters (it
    becomes the result); `model` is the prompt's model when the request names none."""
    body = defaults
    if model is not None:
        body["model"] = model
    for key, value in request.items():
        if key != "messages" and not (strip_field and key == PROMPT_FIELD):
            body[key] = value
    own = request.get("messages")
    if own is None:
        body["messages"] = list(rendered)
    elif isinstance(own, list):
        body["messages"] = [*rendered, *own]
    else:
        raise InvalidRequest("'messages' must be an array.", param="messages")
    return body


def completion_body(
    request: Mapping[str, Any],
    rendered: str,
    defaults: dict[str, Any],
    model: str | None,
    *,
    strip_field: bool = True,
) -> dict[str, Any]:
    """The completions body to forward: the rendered text is the prompt, followed on a new
    line by the request's own text prompt when it sent one (with the header reference)."""
    body = defaults
    if model is not None:
        body["model"] = model
    own = None if strip_field else request.get(PROMPT_FIELD)
    for key, value in request.items():
        if key != PROMPT_FIELD:
            body[key] = value
    if own is None:
        body[PROMPT_FIELD] = rendered
    elif isinstance(own, str):
        body[PROMPT_FIELD] = f"{rendered}\n{own}" if own else rendered
    else:
        raise InvalidRequest(
            "A prompt template renders to one text; it cannot be combined with an array "
            "'prompt'. Send a single text, or none.",
            param=PROMPT_FIELD,
        )
    return body
