"""Foreign exceptions stop at the backend boundary, as short, safe gateway errors."""

from __future__ import annotations

import errno

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey

from sluicegate.backends.failures import mid_stream, translate
from sluicegate.core.errors import (
    GatewayError,
    UpstreamConnectError,
    UpstreamProtocolError,
    UpstreamTimeout,
)

KEY = ConnectionKey("secret-host.example", 443, True, True, None, None, None)


def run(exc: BaseException) -> GatewayError:
    return translate(exc, "ptu-east", first_byte_bound=0.25, connect_timeout=5.0)


@pytest.mark.parametrize(
    ("exc", "kind", "text"),
    [
        (TimeoutError(), UpstreamTimeout, "timed out waiting for the first byte after 0.2 s"),
        (aiohttp.ConnectionTimeoutError(), UpstreamTimeout, "timed out connecting after 5.0 s"),
        (
            aiohttp.ClientConnectorError(KEY, ConnectionRefusedError(errno.ECONNREFUSED, "no")),
            UpstreamConnectError,
            "connection refused by backend",
        ),
        (
            aiohttp.ClientOSError(errno.ECONNRESET, "Connection reset by peer"),
            UpstreamConnectError,
            "connection reset by backend",
        ),
        (ConnectionResetError(), UpstreamConnectError, "connection reset by backend"),
        (
            aiohttp.ServerDisconnectedError(),
            UpstreamConnectError,
            "backend closed the connection before replying",
        ),
        (
            aiohttp.ClientConnectorDNSError(KEY, OSError(-2, "Name or service not known")),
            UpstreamConnectError,
            "DNS lookup failed",
        ),
        (aiohttp.ClientPayloadError("bad chunk"), UpstreamProtocolError, "malformed reply"),
        (ValueError("boom"), UpstreamProtocolError, "unexpected ValueError"),
    ],
)
def test_translation(exc: BaseException, kind: type[GatewayError], text: str) -> None:
    error = run(exc)
    assert type(error) is kind
    assert error.message.startswith("backend 'ptu-east': ")
    assert text in error.message
    assert "secret-host" not in error.message


def test_gateway_errors_pass_through_unchanged() -> None:
    original = UpstreamTimeout("already ours")
    assert run(original) is original


def test_mid_stream_drop_is_a_protocol_error() -> None:
    error = mid_stream("paygo")
    assert isinstance(error, UpstreamProtocolError)
    assert error.message == "backend 'paygo': connection dropped mid-stream"
