"""Sending one request to the endpoint, with retries: the chat completions of a run, and the
`complete` and `embed` functions that LLM-judge and embedding evaluators call.

Requests are not streamed: an evaluation needs the whole answer and its usage, and the latency
recorded is that of the attempt that answered (waits for a 429 are the endpoint's, not the
prompt's). The clock and the sleep are injectable, so tests of the retry loop take no time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from sluicegate.evals.backoff import Backoff
from sluicegate.evals.endpoint import Endpoint

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

PROMPT_VERSION_HEADER = "x-sluicegate-prompt-version"
"""The gateway's answer to "which version of the prompt served this?"."""
_KEPT_HEADERS = (PROMPT_VERSION_HEADER, "x-request-id")
_MESSAGE_LIMIT = 300


class EndpointError(Exception):
    """A request that failed for good (after its retries); the message is fit for a user."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    """The last attempt's HTTP status; 0 when no reply came."""
    body: dict[str, Any] | None
    headers: Mapping[str, str]
    """Only the headers a run records (the served prompt version, the request id)."""
    latency_s: float
    """Of the last attempt."""
    attempts: int
    error: str | None
    """None when the request succeeded with a JSON object."""


class EvalClient:
    """Posts JSON to the endpoint over one aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        endpoint: Endpoint,
        backoff: Backoff,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._session = session
        self._endpoint = endpoint
        self._headers = dict(endpoint.headers)
        self._backoff = backoff
        self._clock = clock
        self._sleep = sleep

    async def chat(self, body: Mapping[str, Any]) -> Reply:
        """A chat completion, retried as `Backoff` says."""
        return await self.post(self._endpoint.chat_url, body)

    async def post(self, url: str, body: Mapping[str, Any]) -> Reply:
        payload = orjson.dumps(body)
        attempt = 0
        while True:
            attempt += 1
            started = self._clock()
            status, headers, parsed, error = await self._attempt(url, payload)
            latency = self._clock() - started
            if error is None:
                break
            wait = self._backoff.delay(attempt, status, headers)
            if wait is None:
                break
            await self._sleep(wait)
        kept = {name: headers[name] for name in _KEPT_HEADERS if name in headers}
        return Reply(status, parsed, kept, latency, attempt, error)

    async def _attempt(
        self, url: str, payload: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any] | None, str | None]:
        try:
            async with self._session.post(url, data=payload, headers=self._headers) as response:
                raw = await response.read()
                headers = {name.lower(): value for name, value in response.headers.items()}
                status = response.status
        except TimeoutError:
            return 0, {}, None, "timed out waiting for the endpoint"
        except aiohttp.ClientError as error:
            return 0, {}, None, f"no reply from the endpoint ({type(error).__name__})"
        try:
            parsed = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            parsed = None
        body = parsed if isinstance(parsed, dict) else None
        if status != 200:
            return status, headers, body, f"HTTP {status}: {_error_message(body)}"
        if body is None:
            return status, headers, None, "the endpoint's reply is not a JSON object"
        return status, headers, body, None

    async def complete(
        self, messages: Sequence[Mapping[str, Any]], *, model: str, **parameters: Any
    ) -> str:
        """The answer's text to `messages` (for LLM judges); raises `EndpointError`."""
        reply = await self.chat({"model": model, "messages": list(messages), **parameters})
        if reply.error is not None:
            raise EndpointError(reply.error, reply.status)
        text, problem = answer_text(reply.body)
        if text is None:
            raise EndpointError(problem or "no answer", reply.status)
        return text

    async def embed(self, texts: Sequence[str], *, model: str) -> list[list[float]]:
        """One embedding per text, in order; raises `EndpointError`."""
        reply = await self.post(
            self._endpoint.embeddings_url, {"model": model, "input": list(texts)}
        )
        if reply.error is not None:
            raise EndpointError(reply.error, reply.status)
        data = reply.body.get("data") if reply.body is not None else None
        if not isinstance(data, list):
            raise EndpointError("the embeddings reply has no data list", reply.status)
        ordered = sorted(
            (entry for entry in data if isinstance(entry, dict)),
            key=lambda entry: int(entry.get("index", 0)),
        )
        vectors = [entry.get("embedding") for entry in ordered]
        if len(vectors) != len(texts) or not all(isinstance(v, list) for v in vectors):
            raise EndpointError("the embeddings reply does not hold one vector per text", 200)
        return [[float(x) for x in vector] for vector in vectors if isinstance(vector, list)]


def answer_text(body: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """The first choice's message text, or None and why there is none."""
    if body is None:
        return None, "the reply is empty"
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None, "the reply has no choices"
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content, None
    if isinstance(message, dict) and message.get("refusal"):
        return None, f"the model refused: {str(message['refusal'])[:_MESSAGE_LIMIT]}"
    return None, "the reply's message has no text content"


def _error_message(body: Mapping[str, Any] | None) -> str:
    """The message of an OpenAI-shaped error body, shortened; else a generic phrase."""
    error = body.get("error") if body is not None else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        message: str = error["message"]
        return message[:_MESSAGE_LIMIT]
    if isinstance(error, str):
        return error[:_MESSAGE_LIMIT]
    return "no error message"
