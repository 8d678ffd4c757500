"""Sending one benchmarked request (with the client's retries) and recording its outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import orjson
from multidict import CIMultiDictProxy

from sluicegate.bench.outcome import Outcome
from sluicegate.bench.retry import RetryPolicy
from sluicegate.bench.stream import StreamTally
from sluicegate.bench.target import Target
from sluicegate.wire.utilization import UTILIZATION_HEADER, parse_utilization

BACKEND_HEADER = "x-sluicegate-backend"
ATTEMPTS_HEADER = "x-sluicegate-attempts"

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(slots=True)
class _Attempt:
    status: int
    headers: CIMultiDictProxy[str] | None
    tally: StreamTally | None
    error: str | None


class Sender:
    """Sends requests to one target over one session; `clock` reads the run's clock and
    `sleep` waits between retries (both injectable so tests need no real time)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        target: Target,
        retry: RetryPolicy,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._session = session
        self._target = target
        self._headers = dict(target.headers)
        self._retry = retry
        self._clock = clock
        self._sleep = sleep

    async def send(
        self, body: bytes, scheduled: float, *, prompt_estimate: int, model: str = ""
    ) -> Outcome:
        """Send `body` (a streamed chat request) until it succeeds or may not be retried."""
        outcome = Outcome(scheduled=scheduled, sent=self._clock(), end=0.0, model=model)
        attempt_number = 0
        while True:
            attempt_number += 1
            attempt = await self._attempt(body)
            if attempt.status == 429:
                outcome.throttles += 1
            if attempt.error is None:
                break
            headers = attempt.headers if attempt.headers is not None else {}
            wait = self._retry.delay(attempt_number, attempt.status, headers)
            if wait is None:
                break
            await self._sleep(wait)
        outcome.end = self._clock()
        outcome.attempts = attempt_number
        _record(outcome, attempt, prompt_estimate)
        return outcome

    async def _attempt(self, body: bytes) -> _Attempt:
        status = 0
        headers = None
        try:
            async with self._session.post(
                self._target.url, data=body, headers=self._headers
            ) as response:
                status, headers = response.status, response.headers
                if status != 200:
                    await response.read()
                    return _Attempt(status, headers, None, f"status_{status}")
                tally = StreamTally()
                if response.content_type == "application/json":
                    _whole_reply(tally, await response.read(), self._clock())
                else:
                    async for chunk in response.content.iter_any():
                        tally.feed(chunk, self._clock())
        except TimeoutError:
            return _Attempt(status, headers, None, "timeout")
        except aiohttp.ClientError as error:
            return _Attempt(status, headers, None, _error_name(error))
        if tally.error is not None:
            return _Attempt(status, headers, tally, tally.error)
        if not tally.done:
            return _Attempt(status, headers, tally, "incomplete_stream")
        return _Attempt(status, headers, tally, None)


def _record(outcome: Outcome, attempt: _Attempt, prompt_estimate: int) -> None:
    outcome.status = attempt.status
    outcome.error = attempt.error
    headers = attempt.headers
    if headers is not None:
        outcome.backend = headers.get(BACKEND_HEADER)
        attempts = headers.get(ATTEMPTS_HEADER)
        if attempts is not None and attempts.strip().isdigit():
            outcome.gateway_attempts = int(attempts)
        outcome.utilization = parse_utilization(headers.get(UTILIZATION_HEADER))
    tally = attempt.tally
    if tally is None:
        return
    outcome.first_token = tally.first_token_at
    outcome.generated_tokens = tally.generated_tokens
    if tally.usage_prompt is not None:
        outcome.prompt_tokens = tally.usage_prompt
        outcome.usage_reported = True
    else:
        outcome.prompt_tokens = prompt_estimate


def _whole_reply(tally: StreamTally, body: bytes, now: float) -> None:
    """A server that ignored `stream: true`: the whole reply is its first (and last) token."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        tally.error = "bad_body"
        return
    usage = payload.get("usage") if isinstance(payload, dict) else None
    if not isinstance(usage, dict):
        tally.error = "bad_body"
        return
    tally.first_token_at = now
    tally.usage_prompt = usage.get("prompt_tokens")
    tally.usage_completion = usage.get("completion_tokens")
    tally.done = True


def _error_name(error: aiohttp.ClientError) -> str:
    if isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return "disconnected"
    if isinstance(error, aiohttp.ClientConnectorError):
        return "connect_error"
    return type(error).__name__
