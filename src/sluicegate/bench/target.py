"""Where requests go and how they authenticate: an OpenAI-style base URL (the gateway, the
simulator, OpenAI, vLLM...) or an Azure OpenAI deployment. The key is read from an environment
variable named on the command line, so it never appears in a shell history or a saved run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlsplit

Api = Literal["openai", "azure"]
Auth = Literal["bearer", "api-key"]

DEFAULT_AZURE_API_VERSION = "2024-10-21"


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    """The full chat-completions URL."""
    headers: tuple[tuple[str, str], ...]
    model: str | None
    """Sent as `model` in the body (None for an Azure deployment path, which names it)."""
    label: str
    """What saved runs and reports call the target: the URL without query, never the key."""


def build_target(
    base_url: str,
    *,
    api: Api = "openai",
    model: str | None = None,
    deployment: str | None = None,
    api_version: str = DEFAULT_AZURE_API_VERSION,
    key_env: str | None = None,
    auth: Auth | None = None,
    extra_headers: Sequence[str] = (),
    environ: Mapping[str, str],
) -> Target:
    """Raises ValueError with a message fit for the command line."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"--url must be http(s)://host[:port][/path], got {base_url!r}")
    base = base_url.rstrip("/")
    if api == "azure":
        if not deployment:
            raise ValueError("--api azure needs --deployment (the Azure deployment name)")
        url = (
            f"{base}/openai/deployments/{quote(deployment, safe='')}/chat/completions"
            f"?api-version={quote(api_version, safe='')}"
        )
        body_model = model
        label = f"{base} deployment {deployment}"
    else:
        if deployment:
            raise ValueError("--deployment applies to --api azure; use --model for OpenAI-style")
        if not model:
            raise ValueError("--model is required for an OpenAI-style endpoint")
        url = f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"
        body_model = model
        label = f"{base} model {model}"
    headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
    if key_env is not None:
        key = environ.get(key_env)
        if not key:
            raise ValueError(f"--api-key-env {key_env}: the environment variable is not set")
        kind = auth or ("api-key" if api == "azure" else "bearer")
        headers.append(
            ("api-key", key) if kind == "api-key" else ("Authorization", f"Bearer {key}")
        )
    elif auth is not None:
        raise ValueError("--auth needs --api-key-env (the variable holding the key)")
    for header in extra_headers:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"--header must be 'Name: value', got {header!r}")
        headers.append((name.strip(), value.strip()))
    return Target(url, tuple(headers), body_model, label)
