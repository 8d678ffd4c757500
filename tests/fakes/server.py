"""What the fake services share: a real socket on 127.0.0.1, a request log, and faults on demand.

A fake answers by the service's documented rules until a test sets `fault`; then every request
gets that fault until it is cleared:

- `hang`: never answer (until the fake stops), so only the client's own timeout ends the wait.
- `error500`: a 500 with the service's error body.
- `throttle`: a 429 with `Retry-After: <retry_after>`.
- `malformed`: a 200 whose body is not JSON.
- `bad_shape`: a 200 whose JSON lacks the documented fields.
- `echo_error`: a 400 whose message repeats the request body, as some services do.

With `fault_marker` set, only requests whose body contains it get the fault.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

import orjson
from aiohttp import web

Fault = Literal["hang", "error500", "throttle", "malformed", "bad_shape", "echo_error"]


@dataclass(frozen=True)
class Received:
    """One request as the fake saw it (body parsed when it was JSON, else None)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    body: Any = field(default=None)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps(body),
        content_type="application/json",
        headers=headers,
    )


class FakeServer:
    """Base of the fakes: subclasses add routes in `routes()` and answer through `answer()`."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.fault: Fault | None = None
        self.fault_marker: str | None = None
        self.retry_after = "2"
        self.url = ""
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None

    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    def error_body(self, status: int, code: str, message: str) -> Any:
        raise NotImplementedError

    async def start(self) -> str:
        app = web.Application()
        app.add_routes(self.routes())
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def stop(self) -> None:
        self._release.set()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> str:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def receive(self, request: web.Request) -> Received:
        raw = await request.read()
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = None
        received = Received(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            raw,
            body,
        )
        self.requests.append(received)
        return received

    def error(self, status: int, code: str, message: str, **headers: str) -> web.Response:
        return json_response(status, self.error_body(status, code, message), headers or None)

    async def faulted(self, received: Received) -> web.Response | None:
        """The response the current fault calls for, or None to answer normally."""
        if self.fault is None:
            return None
        if self.fault_marker is not None and self.fault_marker.encode() not in received.raw:
            return None
        if self.fault == "hang":
            await self._release.wait()
            return self.error(503, "ServiceUnavailable", "stopping")
        if self.fault == "error500":
            return self.error(500, "InternalError", "unexpected situation on the server side")
        if self.fault == "throttle":
            return self.error(
                429, "TooManyRequests", "rate limit exceeded", **{"Retry-After": self.retry_after}
            )
        if self.fault == "malformed":
            return web.Response(status=200, body=b'{"choices": [', content_type="application/json")
        if self.fault == "bad_shape":
            return json_response(200, {"unexpected": True})
        return self.error(
            400, "InvalidRequestBody", f"cannot process: {received.raw.decode(errors='replace')}"
        )
