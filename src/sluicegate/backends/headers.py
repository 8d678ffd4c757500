"""Which headers cross the gateway, in each direction.

Upstream, the client's own credentials must never leak to a backend, and framing headers
belong to each hop. Downstream, clients get only what they act on (content type, rate-limit
and retry hints, model and region facts); everything else is upstream noise or a leak of the
backend's identity. Both sets are fixed, so they are built once, here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

DROPPED_REQUEST_HEADERS = frozenset(
    {
        # credentials: the client's, never forwarded
        "authorization",
        "api-key",
        "x-api-key",
        "cookie",
        "proxy-authorization",
        "ocp-apim-subscription-key",
        # account scoping that only makes sense with the client's own OpenAI key
        "openai-organization",
        "openai-project",
        # hop-by-hop and framing
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "expect",
        "accept-encoding",
        # the gateway sets these itself
        "content-type",
        "x-request-id",
    }
)
_DROPPED_REQUEST_PREFIXES = ("proxy-",)

PASSED_REPLY_HEADERS = frozenset(
    {
        "content-type",
        # only present when a backend ignores `Accept-Encoding: identity`; the bytes pass
        # through untouched, so the client needs it to decode them
        "content-encoding",
        "retry-after",
        "retry-after-ms",
        "openai-model",
        "openai-processing-ms",
        "openai-version",
        "x-ms-region",
    }
)
_PASSED_REPLY_PREFIXES = ("x-ratelimit-", "azure-openai-")

FIXED_REQUEST_HEADERS: Mapping[str, str] = {
    "Content-Type": "application/json",
    "Accept-Encoding": "identity",
}
"""Sent on every upstream request: JSON in, and bytes back exactly as the backend wrote them."""


def forwarded_request_headers(client_headers: Mapping[str, str]) -> dict[str, str]:
    """The client's headers that may go upstream (credentials and framing removed)."""
    kept: dict[str, str] = {}
    for name, value in client_headers.items():
        lowered = name.lower()
        if lowered in DROPPED_REQUEST_HEADERS or lowered.startswith(_DROPPED_REQUEST_PREFIXES):
            continue
        kept[name] = value
    return kept


def passed_reply_headers(upstream: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The upstream reply headers a client needs, with lower-case names.

    Lower-case keys let callers look up `retry-after-ms` or `retry-after` without caring how
    the backend spelled them.
    """
    kept: dict[str, str] = {}
    for name, value in upstream:
        lowered = name.lower()
        if lowered in PASSED_REPLY_HEADERS or lowered.startswith(_PASSED_REPLY_PREFIXES):
            kept[lowered] = value
    return kept
