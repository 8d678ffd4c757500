"""The error a prompt file raises when it cannot be read; it always names the line."""

from __future__ import annotations


class PromptyError(ValueError):
    """A prompty file that cannot be parsed; the message names the line of the problem."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


class PromptRenderError(ValueError):
    """A template that cannot render; `line` is the line of the template body, when known.

    `reason` is the message without the line, for callers that count lines differently.
    """

    def __init__(self, message: str, line: int | None = None, reason: str = "") -> None:
        self.line = line
        self.reason = reason or message
        super().__init__(message)
