"""What every stack's proxy shares: its command line, the headers it forwards, the stream test.

Each proxy does the same minimal work a gateway cannot avoid: read the body, parse it once
(orjson), forward the original bytes with a couple of headers to one upstream over a pooled
keep-alive connection, and return the reply, passing SSE through chunk by chunk.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import orjson

FORWARDED = ("authorization", "x-request-id")
"""Request headers copied to the upstream (lower case), besides Content-Type."""
PATH = "/v1/chat/completions"


@dataclass(frozen=True, slots=True)
class ProxyArgs:
    host: str
    port: int
    upstream: str
    """Full upstream URL, e.g. http://127.0.0.1:18000/v1/chat/completions."""
    pool: int


def parse_args(argv: list[str] | None = None) -> ProxyArgs:
    parser = argparse.ArgumentParser(description="minimal OpenAI proxy for the stack study")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="upstream chat completions URL")
    parser.add_argument("--pool", type=int, default=256, help="upstream connections at most")
    args = parser.parse_args(argv)
    return ProxyArgs(args.host, args.port, args.upstream, args.pool)


def wants_stream(body: bytes) -> bool:
    """Parse the body once, as the gateway will, and read ``stream``."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(parsed, dict) and parsed.get("stream") is True
