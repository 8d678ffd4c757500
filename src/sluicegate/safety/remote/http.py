"""JSON over HTTP for the remote detectors: one connection pool, bounded calls, safe errors.

Each client owns one `aiohttp.ClientSession`, created on first use inside the running loop
and closed by `close()`. Every failure leaves here as a `RemoteDetectorError` built outside
the handler that caught it, so neither its message nor its chained context carries the URL,
a header or the request body.
"""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, TypeVar

import aiohttp
import orjson

from sluicegate.core.clock import Clock
from sluicegate.safety.remote.failures import REQUEST_REJECTED, RemoteDetectorError, safe_code
from sluicegate.safety.remote.headers import HeaderSource

MAX_REPLY_BYTES = 1 << 20
"""A detector's answer is small; a larger one is treated as malformed."""
KEEPALIVE_SECONDS = 30.0

T = TypeVar("T")


class JsonClient:
    """Posts JSON to one service and returns the parsed JSON reply of a 2xx."""

    __slots__ = (
        "_clock",
        "_closed",
        "_detector",
        "_headers",
        "_max_connections",
        "_session",
        "_timeout_s",
    )

    def __init__(
        self,
        detector: str,
        headers: HeaderSource,
        clock: Clock,
        *,
        timeout_s: float,
        max_connections: int,
    ) -> None:
        self._detector = detector
        self._headers = headers
        self._clock = clock
        self._timeout_s = timeout_s
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    async def close(self) -> None:
        """Close the connection pool; later calls fail. The header source is not closed: its
        owner (the composition root) closes it."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def bounded(self, operation: str, work: Callable[[], Awaitable[T]]) -> T:
        """`work()` within the timeout; running out of time is a RemoteDetectorError."""
        try:
            async with asyncio.timeout(self._timeout_s):
                return await work()
        except TimeoutError:
            pass
        raise RemoteDetectorError(
            self._detector, f"{operation} timed out after {self._timeout_s:g} s"
        )

    async def post(
        self, operation: str, url: str, payload: Any, params: Mapping[str, str] | None = None
    ) -> Any:
        """POST `payload` as JSON; the decoded reply, or a RemoteDetectorError."""
        session = self._open(operation)
        headers = await self._auth_headers(operation)
        headers["Content-Type"] = "application/json"
        body = orjson.dumps(payload)
        failure: RemoteDetectorError
        try:
            async with session.post(
                url, data=body, headers=headers, params=params, allow_redirects=False
            ) as response:
                raw = await _read_limited(response)
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except aiohttp.ClientPayloadError:
            failure = self._error(operation, "reply was cut off")
        except _TooLarge:
            failure = self._error(operation, "reply too large")
        except aiohttp.ServerDisconnectedError:
            failure = self._error(operation, "service closed the connection before replying")
        except aiohttp.ClientConnectorDNSError:
            failure = self._error(operation, "DNS lookup failed")
        except aiohttp.ClientSSLError:
            failure = self._error(operation, "TLS handshake failed")
        except (aiohttp.ClientError, OSError) as exc:
            failure = self._error(operation, _connection_reason(exc))
        else:
            if 200 <= status < 300:
                return self._decode(operation, raw)
            failure = self._status_error(operation, status, raw, retry_after)
        raise failure

    def _open(self, operation: str) -> aiohttp.ClientSession:
        if self._closed:
            raise self._error(operation, "client is closed")
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._max_connections,
                    keepalive_timeout=KEEPALIVE_SECONDS,
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
        return self._session

    async def _auth_headers(self, operation: str) -> dict[str, str]:
        try:
            return dict(await self._headers.headers())
        except Exception as exc:
            reason = type(exc).__name__
        raise self._error(operation, f"could not obtain credentials ({reason})")

    def _decode(self, operation: str, raw: bytes) -> Any:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
        raise self._error(operation, "reply is not valid JSON")

    def _status_error(
        self, operation: str, status: int, raw: bytes, retry_after: str | None
    ) -> RemoteDetectorError:
        code = _error_code(raw)
        what = f"HTTP {status}" + (f" {code}" if code else "")
        return RemoteDetectorError(
            self._detector,
            f"{operation} answered {what}",
            status=status,
            code=code,
            outage=status not in REQUEST_REJECTED,
            retry_after_s=parse_retry_after(retry_after, self._clock.wall())
            if retry_after
            else None,
        )

    def _error(self, operation: str, reason: str) -> RemoteDetectorError:
        return RemoteDetectorError(self._detector, f"{operation}: {reason}")

    def malformed(self, operation: str, what: str) -> RemoteDetectorError:
        """The error for a 2xx whose JSON does not have the documented shape."""
        return RemoteDetectorError(self._detector, f"{operation}: malformed reply ({what})")


class _TooLarge(Exception):
    pass


async def _read_limited(response: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _error_code(raw: bytes) -> str | None:
    """The error code of an Azure (`error.code`) or OpenAI-style (`error.type`) error body."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        return safe_code(error.get("code")) or safe_code(error.get("type"))
    return safe_code(body.get("type"))


def _connection_reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "connection reset"
    if isinstance(exc, aiohttp.ClientConnectorError) and isinstance(
        exc.os_error, ConnectionRefusedError
    ):
        return "connection refused"
    return f"connection failed ({type(exc).__name__})"


def parse_retry_after(value: str, now_wall: float) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None if unreadable."""
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - now_wall
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


async def run_all(calls: Sequence[Callable[[], Coroutine[Any, Any, T]]]) -> list[T]:
    """Every call's result in order, run concurrently; the first failure cancels the rest."""
    if len(calls) == 1:
        return [await calls[0]()]
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call()) for call in calls]
    except BaseExceptionGroup as grouped:
        first = _first_leaf(grouped)
    else:
        return [task.result() for task in tasks]
    raise first


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    leaf: BaseException = group
    while isinstance(leaf, BaseExceptionGroup):
        leaf = leaf.exceptions[0]
    return leaf
