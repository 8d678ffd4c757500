"""The OpenAI operations the gateway serves, and their path suffixes."""

from __future__ import annotations

from enum import StrEnum


class Endpoint(StrEnum):
    """An OpenAI operation; the value is the path suffix shared by OpenAI and Azure paths."""

    CHAT = "chat/completions"
    COMPLETIONS = "completions"
    EMBEDDINGS = "embeddings"

    @property
    def streams(self) -> bool:
        """Whether the operation can answer with server-sent events."""
        return self is not Endpoint.EMBEDDINGS

    @property
    def operation(self) -> str:
        """The OpenTelemetry GenAI operation name."""
        return _OPERATION[self]


_OPERATION = {
    Endpoint.CHAT: "chat",
    Endpoint.COMPLETIONS: "text_completion",
    Endpoint.EMBEDDINGS: "embeddings",
}
