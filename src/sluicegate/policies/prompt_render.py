"""Turning a request that names a registered prompt into the request the backend receives.

Resolve the reference from the cache (a label that splits traffic picks a version per end user),
check the caller's variables against the prompt's declared inputs, render, and merge the result
under the request's own fields (`prompt_body`). Every problem the caller can fix is a 400 that
names it; an unknown prompt, label or version is a 404 `prompt_not_found`.

The server calls this only after the caller has been authenticated, so nothing here can tell an
unauthenticated caller which prompts exist.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluicegate.core.errors import InternalError, InvalidRequest, NotFound
from sluicegate.policies.prompt_body import chat_body, completion_body
from sluicegate.policies.prompt_cache import LoadedVersion, PromptCache
from sluicegate.policies.prompt_ref import PromptReference
from sluicegate.prompts.errors import PromptRenderError
from sluicegate.prompts.inputs import PromptInputError
from sluicegate.prompts.render import render_messages, render_text
from sluicegate.prompts.split import choose_version
from sluicegate.wire.endpoints import Endpoint

PROMPT_NOT_FOUND = "prompt_not_found"
VARIABLES_PARAM = "prompt.variables"
_API_OF = {Endpoint.CHAT: "chat", Endpoint.COMPLETIONS: "completion"}


@dataclass(frozen=True, slots=True)
class RenderedRequest:
    """The body to forward, and which version (and label) it was built from."""

    body: dict[str, Any]
    version: str
    """`name@v3`."""
    label: str | None


class PromptRenderer:
    """Renders registered prompts into requests, from a `PromptCache`."""

    __slots__ = ("_cache", "_rng", "_user_header")

    def __init__(
        self,
        cache: PromptCache,
        *,
        rng: random.Random | None = None,
        user_header: str = "x-sluicegate-user",
    ) -> None:
        """`rng` chooses a version of a split label for requests without an end user."""
        self._cache = cache
        self._rng = rng or random.Random()
        self._user_header = user_header

    async def render(
        self,
        reference: PromptReference,
        request: Mapping[str, Any],
        headers: Mapping[str, str],
        endpoint: Endpoint,
        *,
        deployment: str | None = None,
    ) -> RenderedRequest:
        """The request as the backend will receive it; a `GatewayError` when it cannot be
        built (400 for the caller's mistakes, 404 for an unknown prompt)."""
        loaded = await self._resolve(reference, request, headers)
        prompty = loaded.prompty
        if prompty is None:
            raise InternalError(
                f"The prompt {loaded.ref} is stored but cannot be used: {loaded.problem}",
                code="prompt_invalid",
            )
        wanted = _API_OF[endpoint]
        if prompty.model.api != wanted:
            other = "/chat/completions" if prompty.model.api == "chat" else "/completions"
            raise InvalidRequest(
                f"The prompt {loaded.ref} is a {prompty.model.api} prompt (model.api); send it "
                f"to {other}.",
                param=reference.source,
            )
        model = None if deployment is not None or "model" in request else loaded.model
        try:
            if endpoint is Endpoint.CHAT:
                messages = render_messages(prompty, reference.variables)
                body = chat_body(
                    request,
                    messages,
                    loaded.defaults(),
                    model,
                    strip_field=reference.strip_field,
                )
            else:
                text = render_text(prompty, reference.variables)
                body = completion_body(
                    request, text, loaded.defaults(), model, strip_field=reference.strip_field
                )
        except PromptInputError as error:
            raise InvalidRequest(
                f"The variables do not fit the prompt {loaded.ref}: {error}.",
                param=VARIABLES_PARAM,
            ) from None
        except PromptRenderError as error:
            raise InvalidRequest(
                f"The prompt {loaded.ref} cannot be rendered with these variables: {error}.",
                code="prompt_render_failed",
                param=VARIABLES_PARAM,
            ) from None
        return RenderedRequest(body, loaded.ref, reference.label)

    async def _resolve(
        self,
        reference: PromptReference,
        request: Mapping[str, Any],
        headers: Mapping[str, str],
    ) -> LoadedVersion:
        name = reference.name
        if reference.version is not None:
            loaded = await self._cache.version(name, reference.version)
            if loaded is None:
                raise _not_found(f"The prompt '{name}' has no version {reference.version}.")
            return loaded
        label = reference.label or ""
        targets = self._cache.label(name, label)
        if targets is None:
            raise _not_found(f"There is no prompt '{name}' with the label '{label}'.")
        if len(targets) == 1:
            number = targets[0][0]
        else:
            user = self._end_user(request, headers)
            sticky = f"{name}@{label}\n{user}" if user is not None else None
            number = choose_version(targets, sticky, self._rng)
        loaded = self._cache.cached(name, number) or await self._cache.version(name, number)
        if loaded is None:
            raise _not_found(
                f"The label '{label}' of the prompt '{name}' points at version {number}, "
                "which does not exist."
            )
        return loaded

    def _end_user(self, request: Mapping[str, Any], headers: Mapping[str, str]) -> str | None:
        user = request.get("user")
        if isinstance(user, str) and user:
            return user
        return headers.get(self._user_header) or None


def _not_found(message: str) -> NotFound:
    return NotFound(message, code=PROMPT_NOT_FOUND, param="prompt")
