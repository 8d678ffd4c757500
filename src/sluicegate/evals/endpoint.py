"""Where an evaluation sends its requests: an OpenAI-compatible base URL (the gateway by
default) and how to authenticate. The key is read from an environment variable named on the
command line, so it never appears in a shell history, the run directory or a report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

Auth = Literal["bearer", "api-key"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    chat_url: str
    embeddings_url: str
    headers: tuple[tuple[str, str], ...]
    label: str
    """The base URL without query or credentials: what the manifest and reports show."""


def build_endpoint(
    base_url: str,
    *,
    key_env: str | None = None,
    auth: Auth = "bearer",
    extra_headers: Sequence[str] = (),
    environ: Mapping[str, str],
) -> Endpoint:
    """Raises ValueError with a message fit for the command line."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--target must be http(s)://host[:port][/path], got {base_url!r}")
    if parts.username or parts.password or parts.query:
        raise ValueError("--target must not carry credentials or a query; use --api-key-env")
    base = base_url.rstrip("/")
    root = base if base.endswith("/v1") else f"{base}/v1"
    headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
    if key_env is not None:
        key = environ.get(key_env)
        if not key:
            raise ValueError(f"--api-key-env {key_env}: the environment variable is not set")
        headers.append(
            ("api-key", key) if auth == "api-key" else ("Authorization", f"Bearer {key}")
        )
    for header in extra_headers:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"--header must be 'Name: value', got {header!r}")
        headers.append((name.strip(), value.strip()))
    return Endpoint(f"{root}/chat/completions", f"{root}/embeddings", tuple(headers), base)
