"""Translate the HTTP client's exceptions into the gateway's error tree.

This is the boundary where aiohttp, socket and timeout errors stop. Messages are short, name
the backend, and carry no URL, query string, header or key: they may reach a client.
"""

from __future__ import annotations

import errno

import aiohttp

from sluicegate.core.errors import (
    GatewayError,
    UpstreamConnectError,
    UpstreamError,
    UpstreamProtocolError,
    UpstreamTimeout,
)

_REFUSED = frozenset({errno.ECONNREFUSED})
_RESET = frozenset({errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE})
_UNREACHABLE = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN})


def seconds(value: float) -> str:
    """A duration as people read it in an error message."""
    return f"{value:.1f}" if value >= 0.1 else f"{value:.3f}"


def translate(
    exc: BaseException, backend: str, *, first_byte_bound: float, connect_timeout: float
) -> GatewayError:
    """The gateway error for a failure before the reply's first byte arrived."""
    if isinstance(exc, GatewayError):
        return exc
    prefix = f"backend '{backend}': "
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return UpstreamTimeout(f"{prefix}timed out connecting after {seconds(connect_timeout)} s")
    if isinstance(exc, TimeoutError):
        return UpstreamTimeout(
            f"{prefix}timed out waiting for the first byte after {seconds(first_byte_bound)} s"
        )
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return UpstreamProtocolError(f"{prefix}malformed reply from backend")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return UpstreamConnectError(f"{prefix}DNS lookup failed")
    if isinstance(exc, aiohttp.ClientSSLError):
        return UpstreamConnectError(f"{prefix}TLS handshake failed")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return UpstreamConnectError(f"{prefix}backend closed the connection before replying")
    if isinstance(exc, OSError):
        return UpstreamConnectError(prefix + _os_reason(exc))
    if isinstance(exc, aiohttp.ClientConnectionError):
        return UpstreamConnectError(f"{prefix}connection failed")
    return UpstreamProtocolError(f"{prefix}unexpected {type(exc).__name__} talking to backend")


def mid_stream(backend: str) -> UpstreamError:
    """The error for a streamed reply whose connection broke after the first byte."""
    return UpstreamProtocolError(f"backend '{backend}': connection dropped mid-stream")


def _os_reason(exc: OSError) -> str:
    code = exc.errno
    if isinstance(exc, ConnectionRefusedError) or code in _REFUSED:
        return "connection refused by backend"
    if isinstance(exc, ConnectionResetError | BrokenPipeError) or code in _RESET:
        return "connection reset by backend"
    if code in _UNREACHABLE:
        return "backend unreachable"
    return "connection failed"
