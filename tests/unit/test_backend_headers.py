"""Which headers cross the gateway, in each direction."""

from __future__ import annotations

from sluicegate.backends.headers import (
    DROPPED_REQUEST_HEADERS,
    FIXED_REQUEST_HEADERS,
    forwarded_request_headers,
    passed_reply_headers,
)

CLIENT_CREDENTIALS = {
    "Authorization": "Bearer client-secret",
    "api-key": "client-key",
    "X-Api-Key": "client-key-2",
    "Cookie": "session=abc",
    "Proxy-Authorization": "Basic xyz",
    "Ocp-Apim-Subscription-Key": "apim-key",
}


def test_client_credentials_never_forwarded_whatever_their_case() -> None:
    upper = {name.upper(): value for name, value in CLIENT_CREDENTIALS.items()}
    for headers in (CLIENT_CREDENTIALS, upper):
        kept = forwarded_request_headers(headers)
        assert kept == {}
        joined = repr(kept)
        assert "client-secret" not in joined
        assert "client-key" not in joined


def test_hop_by_hop_and_framing_headers_dropped() -> None:
    framing = {
        "Host": "gateway.local",
        "Content-Length": "12",
        "Connection": "keep-alive",
        "Keep-Alive": "timeout=5",
        "Transfer-Encoding": "chunked",
        "TE": "trailers",
        "Trailer": "x",
        "Upgrade": "h2c",
        "Expect": "100-continue",
        "Accept-Encoding": "gzip, br",
        "Proxy-Connection": "keep-alive",
        "proxy-anything": "1",
        "Content-Type": "text/plain",
        "X-Request-Id": "client-chosen",
    }
    assert forwarded_request_headers(framing) == {}


def test_other_client_headers_forwarded_as_given() -> None:
    headers = {
        "User-Agent": "OpenAI/Python 1.50",
        "Accept": "application/json",
        "X-Stainless-Lang": "python",
        "x-ms-client-request-id": "abc",
        "api-key": "drop-me",
    }
    assert forwarded_request_headers(headers) == {
        "User-Agent": "OpenAI/Python 1.50",
        "Accept": "application/json",
        "X-Stainless-Lang": "python",
        "x-ms-client-request-id": "abc",
    }


def test_fixed_headers_ask_for_json_and_identity_encoding() -> None:
    assert FIXED_REQUEST_HEADERS == {
        "Content-Type": "application/json",
        "Accept-Encoding": "identity",
    }
    assert "accept-encoding" in DROPPED_REQUEST_HEADERS


def test_reply_allowlist_keeps_what_clients_act_on_with_lower_case_names() -> None:
    upstream = [
        ("Content-Type", "text/event-stream"),
        ("Retry-After", "2"),
        ("retry-after-ms", "1500"),
        ("x-ratelimit-remaining-requests", "9"),
        ("X-RateLimit-Reset-Tokens", "6s"),
        ("azure-openai-deployment-utilization", "83.5%"),
        ("openai-model", "gpt-4o"),
        ("openai-processing-ms", "120"),
        ("openai-version", "2020-10-01"),
        ("x-ms-region", "East US"),
    ]
    assert passed_reply_headers(upstream) == {
        "content-type": "text/event-stream",
        "retry-after": "2",
        "retry-after-ms": "1500",
        "x-ratelimit-remaining-requests": "9",
        "x-ratelimit-reset-tokens": "6s",
        "azure-openai-deployment-utilization": "83.5%",
        "openai-model": "gpt-4o",
        "openai-processing-ms": "120",
        "openai-version": "2020-10-01",
        "x-ms-region": "East US",
    }


def test_reply_allowlist_drops_framing_identity_and_cookies() -> None:
    upstream = [
        ("Content-Length", "10"),
        ("Transfer-Encoding", "chunked"),
        ("Connection", "keep-alive"),
        ("Date", "Mon, 01 Jan 2024 00:00:00 GMT"),
        ("Server", "nginx"),
        ("Set-Cookie", "a=b"),
        ("x-request-id", "upstream-id"),
        ("apim-request-id", "upstream-id"),
        ("openai-organization", "org-123"),
        ("Strict-Transport-Security", "max-age=1"),
    ]
    assert passed_reply_headers(upstream) == {}
