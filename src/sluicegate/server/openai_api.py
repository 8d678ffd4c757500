"""The OpenAI and Azure OpenAI model endpoints: parse once, route, relay.

This is the hot path. Everything that can be decided at start-up (policy chains per pool,
header names, limits) is decided in `ModelApi.__init__`, not per request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from sluicegate.config.settings import GatewayConfig
from sluicegate.core.clock import Clock
from sluicegate.core.errors import (
    GatewayError,
    InternalError,
    InvalidRequest,
    MethodNotAllowed,
    ModelNotFound,
    PayloadTooLarge,
    UpstreamTimeout,
)
from sluicegate.core.exchange import Exchange
from sluicegate.core.policy import Handler, Policy, build_chain
from sluicegate.core.reply import Reply
from sluicegate.policies.prompt_ref import PROMPT_HEADER, PromptReference, find_reference
from sluicegate.policies.prompt_render import PromptRenderer
from sluicegate.routing.router import Route, Router
from sluicegate.server.errors import error_response
from sluicegate.server.ids import APIM_REQUEST_ID, REQUEST_ID, RequestIds
from sluicegate.server.relay import error_event, relay_stream, usage_from_body
from sluicegate.server.upstream_time import UpstreamTimedStream
from sluicegate.telemetry.metrics import GatewayMetrics
from sluicegate.telemetry.request_log import RequestLog, RequestOutcome
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.request import (
    PROMPT_VERSION_HEADER,
    ParsedRequest,
    RequestFormatError,
    check_request,
    decode_body,
    parse_prompt_version,
)
from sluicegate.wire.utilization import UTILIZATION_HEADER, parse_utilization

log = logging.getLogger("sluicegate.server")

WebHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Identify = Callable[[Exchange], Awaitable[None]]

BACKEND = "x-sluicegate-backend"
ATTEMPTS = "x-sluicegate-attempts"
OVERHEAD = "x-sluicegate-overhead-ms"
ROUTE = "x-sluicegate-route"
PROMPT_LABEL = "x-sluicegate-prompt-label"
CLIENT_CLOSED = 499
"""The status of a request whose client left before one was decided (nginx's code)."""


class ModelApi:
    """Handlers for chat, completions and embeddings on every path family."""

    def __init__(
        self,
        config: GatewayConfig,
        router: Router,
        policies: Sequence[Policy],
        clock: Clock,
        metrics: GatewayMetrics | None = None,
        request_log: RequestLog | None = None,
        *,
        prompts: PromptRenderer | None = None,
        identify: Identify | None = None,
    ) -> None:
        """`prompts` renders registered prompts (None: the gateway has no registry);
        `identify` authenticates a request that names one before it is looked up."""
        if prompts is not None and identify is None:
            raise ValueError("rendering prompts needs `identify`, to authenticate first")
        self._prompts = prompts
        self._identify = identify
        self._router = router
        self._clock = clock
        self._metrics = metrics
        self._request_log = request_log
        self._request_ids = RequestIds()
        self._max_body = config.server.max_body_bytes
        self._timeout = config.routing.request_timeout_seconds
        self._chains: dict[str, Handler] = {
            pool.name: build_chain(policies, self._timed(pool.send))
            for pool in router.pools().values()
        }
        # An unknown name still meets authentication first, so callers without a key learn
        # nothing about which names exist.
        self._unknown = build_chain(policies, _no_such_model)

    def _timed(self, send: Handler) -> Handler:
        clock = self._clock

        async def timed_send(exchange: Exchange) -> Reply:
            began = clock.now()
            try:
                reply = await send(exchange)
            finally:
                exchange.upstream_seconds += clock.now() - began
            if reply.stream is not None:
                reply.stream = UpstreamTimedStream(reply.stream, exchange, clock)
            return reply

        return timed_send

    def openai_handler(self, endpoint: Endpoint) -> WebHandler:
        """`/v1/...` and `/openai/v1/...`: the model comes from the body."""

        async def handle(request: web.Request) -> web.StreamResponse:
            return await self.handle(request, endpoint, None)

        return handle

    def deployment_handler(self, endpoint: Endpoint) -> WebHandler:
        """`/openai/deployments/{deployment}/...`: the deployment in the path picks the route."""

        async def handle(request: web.Request) -> web.StreamResponse:
            return await self.handle(request, endpoint, request.match_info["deployment"])

        return handle

    async def handle(
        self, request: web.Request, endpoint: Endpoint, deployment: str | None
    ) -> web.StreamResponse:
        clock = self._clock
        started = clock.now()
        request_id = self._request_ids()
        exchange: Exchange | None = None
        refusal: GatewayError | None = None
        if self._metrics is not None:
            self._metrics.request_started()
        try:
            if request.method != "POST":
                raise MethodNotAllowed(f"{request.method} is not allowed here; use POST.")
            raw = await self._read_body(request)
            try:
                body = decode_body(raw)
                reference = find_reference(body, request.headers.get(PROMPT_HEADER), endpoint)
                prompt_version = parse_prompt_version(request.headers.get(PROMPT_VERSION_HEADER))
                parsed = None
                if reference is None:
                    parsed = check_request(body, endpoint, model_required=deployment is None)
            except RequestFormatError as exc:
                raise InvalidRequest(str(exc), param=exc.param) from None
            exchange = Exchange(
                request_id=request_id,
                endpoint=endpoint,
                raw=raw,
                body=body,
                model="",
                stream=False,
                include_usage=False,
                client_headers=request.headers,
                started_at=started,
                deadline=started + self._timeout,
                prompt_version=prompt_version,
            )
            if parsed is None:
                assert reference is not None
                parsed = await self._render(exchange, reference, deployment)
            route = self._route(exchange, parsed, deployment)
            chain = self._chains[route.pool.name] if route is not None else self._unknown
            reply = await chain(exchange)
            return await self._respond(request, exchange, reply)
        except GatewayError as error:
            refusal = error
            return self._fail(error, request_id, started, exchange)
        except web.HTTPException:
            raise
        except ConnectionResetError:
            raise  # the client left mid-reply: there is no one to answer
        except Exception:
            log.exception("unexpected error handling request %s", request_id)
            refusal = InternalError(f"The gateway failed unexpectedly; request id {request_id}.")
            return self._fail(refusal, request_id, started, exchange)
        finally:
            try:
                if exchange is not None:
                    await exchange.finish()
            finally:
                if self._metrics is not None or self._request_log is not None:
                    self._record(request, request_id, exchange, endpoint, refusal, started)

    def _route(
        self, exchange: Exchange, parsed: ParsedRequest, deployment: str | None
    ) -> Route | None:
        """Fill in what the body decides and resolve the route from the model."""
        name = deployment or parsed.model or ""
        route = self._router.resolve(name)
        exchange.model = name
        exchange.stream = parsed.stream
        exchange.include_usage = parsed.include_usage
        exchange.route = route.name if route is not None else ""
        return route

    async def _render(
        self, exchange: Exchange, reference: PromptReference, deployment: str | None
    ) -> ParsedRequest:
        """Authenticate, then build the body from the registered prompt (see prompt_render).

        Authentication comes first so that a caller without valid credentials gets its 401
        before anything could tell it whether a prompt exists; the chain then only checks the
        model the rendered request names."""
        if self._identify is not None:
            await self._identify(exchange)
        if self._prompts is None:
            raise InvalidRequest(
                "This gateway has no prompt registry (it needs its database: turn on auth or "
                "the ledger), so it cannot render prompt templates.",
                param=reference.source,
            )
        rendered = await self._prompts.render(
            reference,
            exchange.body,
            exchange.client_headers,
            exchange.endpoint,
            deployment=deployment,
        )
        try:
            parsed = check_request(
                rendered.body, exchange.endpoint, model_required=deployment is None
            )
        except RequestFormatError as exc:
            raise InvalidRequest(
                f"{exc} (in the request built from the prompt {rendered.version})",
                param=exc.param,
            ) from None
        exchange.rewrite(parsed.body)
        exchange.prompt_version = rendered.version
        exchange.prompt_label = rendered.label
        return parsed

    def _record(
        self,
        request: web.Request,
        request_id: str,
        exchange: Exchange | None,
        endpoint: Endpoint,
        refusal: GatewayError | None,
        started: float,
    ) -> None:
        """Metrics and the request log line, once the request is over (never raises)."""
        seconds = self._clock.now() - started
        status = exchange.status if exchange is not None else None
        if status is None:
            status = refusal.status if refusal is not None else CLIENT_CLOSED
        if self._metrics is not None:
            code = (refusal.code or refusal.error_type) if refusal is not None else None
            self._metrics.request_finished(exchange, endpoint.operation, status, seconds, code)
        if self._request_log is not None:
            outcome = RequestOutcome(
                request_id=request_id,
                method=request.method,
                path=request.path,
                operation=endpoint.operation,
                status=status,
                seconds=seconds,
                wall=self._clock.wall() - seconds,
                error=refusal,
            )
            try:
                self._request_log.write(outcome, exchange)
            except Exception:
                log.exception("cannot write the log line of request %s", request_id)

    async def _read_body(self, request: web.Request) -> bytes:
        length = request.content_length
        if length is not None and length > self._max_body:
            raise self._too_large()
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise self._too_large() from None

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The request body is larger than this gateway accepts ({self._max_body} bytes; "
            "server.max_body_bytes)."
        )

    async def _respond(
        self, request: web.Request, exchange: Exchange, reply: Reply
    ) -> web.StreamResponse:
        exchange.status = reply.status
        exchange.utilization = parse_utilization(reply.headers.get(UTILIZATION_HEADER))
        headers = dict(reply.headers)
        self._stamp(headers, exchange.request_id, exchange.started_at, exchange)
        if reply.stream is None:
            if reply.status < 300:
                exchange.usage = usage_from_body(reply.body)
            return web.Response(status=reply.status, body=reply.body, headers=headers)
        response = web.StreamResponse(status=reply.status, headers=headers)
        try:
            remaining = exchange.deadline - self._clock.now()
            await response.prepare(request)
            exchange.first_byte_at = self._clock.now()
            try:
                async with asyncio.timeout(max(remaining, 0.0)):
                    await relay_stream(response, reply.stream, exchange, exchange.finish)
            except TimeoutError:
                timeout = UpstreamTimeout(
                    f"The request exceeded its deadline of {self._timeout:g} s "
                    "(routing.request_timeout_seconds) while streaming."
                )
                exchange.status = timeout.status
                await response.write(error_event(timeout))
            await response.write_eof()
        finally:
            await reply.release()
        return response

    def _stamp(
        self, headers: dict[str, str], request_id: str, started: float, exchange: Exchange | None
    ) -> None:
        headers[REQUEST_ID] = request_id
        headers[APIM_REQUEST_ID] = request_id
        upstream = 0.0
        if exchange is not None:
            upstream = exchange.upstream_seconds
            attempts = len(exchange.attempts) + (1 if exchange.served_by else 0)
            headers[ATTEMPTS] = str(attempts)
            if exchange.route:
                headers[ROUTE] = exchange.route
            if exchange.served_by:
                headers[BACKEND] = exchange.served_by
            if exchange.prompt_version:
                headers[PROMPT_VERSION_HEADER] = exchange.prompt_version
                if exchange.prompt_label:
                    headers[PROMPT_LABEL] = exchange.prompt_label
        overhead_ms = max(0.0, (self._clock.now() - started - upstream) * 1000.0)
        headers[OVERHEAD] = f"{overhead_ms:.3f}"

    def _fail(
        self, error: GatewayError, request_id: str, started: float, exchange: Exchange | None
    ) -> web.Response:
        if exchange is not None:
            exchange.status = error.status
        headers: dict[str, str] = {}
        self._stamp(headers, request_id, started, exchange)
        return error_response(error, headers)


async def _no_such_model(exchange: Exchange) -> Reply:
    raise ModelNotFound(
        f"The model or deployment '{exchange.model}' does not exist on this gateway. "
        "GET /v1/models lists the names it serves.",
        param="model",
    )
