"""The HTTP backend: sends an Exchange to an OpenAI or Azure OpenAI deployment.

This is the hot path, so everything that does not depend on the request is done once: the
target URLs, the fixed and static-credential headers, the header allowlists, and one
long-lived connection pool per backend (aiohttp sets TCP_NODELAY on every connection it
opens). Per request, the work is: filter the client's headers, post the bytes, and wait, within
one bound, for the status line, headers and first body chunk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp

from sluicegate.backends.credentials import (
    CredentialProvider,
    StaticCredentials,
    UpstreamCredentialsError,
)
from sluicegate.backends.failures import translate
from sluicegate.backends.headers import (
    FIXED_REQUEST_HEADERS,
    forwarded_request_headers,
    passed_reply_headers,
)
from sluicegate.backends.stream import UpstreamStream
from sluicegate.backends.targets import body_rewriter, target_urls
from sluicegate.config.settings import BackendSettings, RoutingSettings
from sluicegate.core.clock import Clock
from sluicegate.core.errors import GatewayError, UpstreamConnectError, UpstreamTimeout
from sluicegate.core.exchange import Exchange
from sluicegate.core.reply import Reply
from sluicegate.telemetry.tracing import AttemptTarget, begin_attempt

KEEPALIVE_SECONDS = 30.0
"""How long an idle upstream connection stays pooled."""
DNS_CACHE_SECONDS = 60
"""How long a resolved backend address is reused."""
_SKIPPED_AUTO_HEADERS = ("Accept", "User-Agent")


class HttpBackend:
    """One upstream deployment reached over HTTP, with its own connection pool.

    The session is created inside the running loop, by `start()` or on first use. The backend
    owns its credential provider and closes it with the session.
    """

    def __init__(
        self,
        settings: BackendSettings,
        routing: RoutingSettings,
        clock: Clock,
        credentials: CredentialProvider,
    ) -> None:
        self._name = settings.name
        self._settings = settings
        self._clock = clock
        self._connect_timeout = routing.connect_timeout_seconds
        self._first_byte_timeout = routing.first_byte_timeout_seconds
        self._urls = target_urls(settings)
        self._rewrite = body_rewriter(settings)
        self._credentials = credentials
        fixed = dict(FIXED_REQUEST_HEADERS)
        self._dynamic_credentials: CredentialProvider | None = credentials
        if isinstance(credentials, StaticCredentials):
            fixed.update(credentials.values)
            self._dynamic_credentials = None
        self._fixed_headers: Mapping[str, str] = fixed
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._trace_target = AttemptTarget.of(settings)

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"HttpBackend(name={self._name!r}, api={self._settings.api!r})"

    async def start(self) -> None:
        """Open the connection pool now rather than on the first request."""
        self._open()

    async def close(self) -> None:
        """Close the connection pool and the credentials; later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        await self._credentials.close()

    async def send(self, exchange: Exchange) -> Reply:
        bound = min(self._first_byte_timeout, exchange.deadline - self._clock.now())
        if bound <= 0:
            raise UpstreamTimeout(f"backend '{self._name}': no time left before the deadline")
        session = self._session or self._open()
        # The attempt's span when the request is traced; one None check when it is not.
        attempt = None
        if exchange.trace is not None:
            attempt = begin_attempt(exchange, self._trace_target)
        try:
            async with asyncio.timeout(bound):
                headers = await self._request_headers(exchange)
                if attempt is not None:
                    attempt.inject(headers)
                response = await self._post(session, exchange, headers)
                reply = await self._reply(response, exchange)
        except UpstreamCredentialsError as exc:
            error: GatewayError = UpstreamCredentialsError(f"backend '{self._name}': {exc.message}")
        except Exception as exc:
            error = translate(
                exc,
                self._name,
                first_byte_bound=bound,
                connect_timeout=self._connect_timeout,
            )
        else:
            if attempt is not None:
                attempt.replied(reply)
            return reply
        if attempt is not None:
            attempt.failed(error)
        raise error from None

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise UpstreamConnectError(f"backend '{self._name}' is shut down")
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._settings.max_connections,
                limit_per_host=0,
                keepalive_timeout=KEEPALIVE_SECONDS,
                use_dns_cache=True,
                ttl_dns_cache=DNS_CACHE_SECONDS,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(
                    total=None, connect=self._connect_timeout, sock_connect=self._connect_timeout
                ),
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=_SKIPPED_AUTO_HEADERS,
                trust_env=False,
            )
        return self._session

    async def _post(
        self, session: aiohttp.ClientSession, exchange: Exchange, headers: dict[str, str]
    ) -> aiohttp.ClientResponse:
        url, body = self._urls[exchange.endpoint], self._body(exchange)
        try:
            return await session.post(url, data=body, headers=headers, allow_redirects=False)
        except aiohttp.ServerDisconnectedError:
            # The backend closed a pooled keep-alive connection just as it was reused, before
            # any reply byte: try once more on a fresh connection rather than report it down.
            return await session.post(url, data=body, headers=headers, allow_redirects=False)

    def _body(self, exchange: Exchange) -> bytes:
        upstream = exchange.upstream_bytes
        return upstream if self._rewrite is None else self._rewrite(upstream)

    async def _request_headers(self, exchange: Exchange) -> dict[str, str]:
        headers = forwarded_request_headers(exchange.client_headers)
        headers.update(self._fixed_headers)
        headers["x-request-id"] = exchange.request_id
        if self._dynamic_credentials is not None:
            headers.update(await self._dynamic_credentials.headers())
        return headers

    async def _reply(self, response: aiohttp.ClientResponse, exchange: Exchange) -> Reply:
        try:
            status = response.status
            headers = passed_reply_headers(response.headers.items())
            if exchange.stream and 200 <= status < 300:
                first = await response.content.readany()
                if first:
                    expires_in = exchange.deadline - self._clock.now()
                    stream = UpstreamStream(response, first, self._name, expires_in)
                    return Reply(status, headers, stream=stream, backend=self._name)
            body = await response.read()
        except BaseException:
            response.close()
            raise
        response.release()
        return Reply(status, headers, body=body, backend=self._name)
