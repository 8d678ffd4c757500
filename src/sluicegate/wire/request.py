"""Parse a client's request body once, and check what the gateway relies on.

The gateway forwards the original bytes, so this checks only the fields it reads (model,
stream, the presence of the payload) and leaves the rest of the schema to the backend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from sluicegate.wire.endpoints import Endpoint


class RequestFormatError(ValueError):
    """The body is not a request the gateway can route; `param` names the offending field."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    body: dict[str, Any]
    model: str | None
    stream: bool
    include_usage: bool


_REQUIRED = {
    Endpoint.CHAT: "messages",
    Endpoint.COMPLETIONS: "prompt",
    Endpoint.EMBEDDINGS: "input",
}


def parse_request(raw: bytes, endpoint: Endpoint, *, model_required: bool) -> ParsedRequest:
    """Decode and check a request body; raise RequestFormatError with a clear message."""
    return check_request(decode_body(raw), endpoint, model_required=model_required)


def decode_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or RequestFormatError."""
    if not raw:
        raise RequestFormatError("The request body is empty; send a JSON object.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestFormatError(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(body, dict):
        raise RequestFormatError("The request body must be a JSON object.")
    return body


def check_request(
    body: dict[str, Any], endpoint: Endpoint, *, model_required: bool
) -> ParsedRequest:
    """Check a decoded body (the client's, or one the gateway built from a prompt template)."""
    model = body.get("model")
    if model is not None and (not isinstance(model, str) or not model):
        raise RequestFormatError("'model' must be a non-empty string.", "model")
    if model is None and model_required:
        raise RequestFormatError("you must provide a model parameter", "model")
    required = _REQUIRED[endpoint]
    if required not in body:
        raise RequestFormatError(f"Missing required parameter: '{required}'.", required)
    if endpoint is Endpoint.CHAT:
        messages = body["messages"]
        if not isinstance(messages, list) or not messages:
            raise RequestFormatError("'messages' must be a non-empty array.", "messages")
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or not isinstance(message.get("role"), str):
                raise RequestFormatError(
                    f"'messages[{index}]' must be an object with a string 'role'.",
                    f"messages[{index}]",
                )
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise RequestFormatError("'stream' must be a boolean.", "stream")
    if stream and not endpoint.streams:
        raise RequestFormatError("This operation does not support 'stream'.", "stream")
    include_usage = False
    options = body.get("stream_options")
    if options is not None:
        if not isinstance(options, dict):
            raise RequestFormatError("'stream_options' must be an object.", "stream_options")
        include_usage = options.get("include_usage") is True
    max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
    if max_tokens is not None and (
        isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1
    ):
        raise RequestFormatError("'max_tokens' must be a positive integer.", "max_tokens")
    return ParsedRequest(body=body, model=model, stream=stream, include_usage=include_usage)


PROMPT_VERSION_HEADER = "x-sluicegate-prompt-version"
"""Names the version of the prompt template a request was built from; kept in the ledger."""
_PROMPT_VERSION = re.compile(r"^[A-Za-z0-9_.:@/+=-]{1,128}$")


def parse_prompt_version(value: str | None) -> str | None:
    """The header's value, checked: it is stored and grouped by, so it must be a short name."""
    if value is None:
        return None
    if not _PROMPT_VERSION.match(value):
        raise RequestFormatError(
            f"The header {PROMPT_VERSION_HEADER} must be 1 to 128 characters of letters, "
            "digits and _ . : @ / + = -, such as 'support-answer@v7'.",
            param=PROMPT_VERSION_HEADER,
        )
    return value
