"""Token signing keys: a JWKS fetched from an issuer (cached, rotated) or read from a file.

Keys are parsed once per fetch into PyJWT key objects bound to one algorithm each, so
verifying a token never re-parses a JWK and a key is only ever used with an algorithm that is
both allowed and matches its type. A token naming an unknown key id triggers a refetch, at
most once per `min_refresh_seconds`, so a flood of made-up key ids cannot hammer the issuer.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Collection
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import orjson
from jwt import PyJWK, PyJWTError

from sluicegate.config.loader import ConfigError
from sluicegate.core.clock import Clock
from sluicegate.core.errors import AuthenticationFailed, ServiceUnavailable
from sluicegate.policies.api_keys import unauthenticated

log = logging.getLogger("sluicegate.auth")

MAX_JWKS_BYTES = 1 << 20


class KeySet:
    """The usable signing keys of one JWKS document, by (key id, algorithm)."""

    __slots__ = ("_keys", "_kids")

    def __init__(self, document: Any, algorithms: Collection[str]) -> None:
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("a JWKS document is an object with a 'keys' list")
        self._keys: dict[tuple[str | None, str], PyJWK] = {}
        for jwk in document["keys"]:
            if isinstance(jwk, dict) and jwk.get("use", "sig") == "sig":
                self._add(jwk, algorithms)
        if not self._keys:
            raise ValueError(
                f"the JWKS holds no signing key usable with {', '.join(sorted(algorithms))}"
            )
        self._kids = frozenset(kid for kid, _ in self._keys)

    def _add(self, jwk: dict[str, Any], algorithms: Collection[str]) -> None:
        kid = jwk.get("kid")
        if kid is not None and not isinstance(kid, str):
            return
        declared = jwk.get("alg")
        for alg in algorithms if declared is None else (declared,):
            if alg not in algorithms:
                continue
            try:
                self._keys[(kid, alg)] = PyJWK(jwk, alg)
            except (PyJWTError, ValueError, TypeError):
                continue  # a key of another type (an EC key for RS256, say)

    def find(self, kid: str | None, alg: str) -> PyJWK | None:
        if kid is None and len(self._kids) == 1:
            kid = next(iter(self._kids))
        return self._keys.get((kid, alg))

    def knows(self, kid: str | None) -> bool:
        return kid in self._kids or (kid is None and len(self._kids) == 1)

    def __len__(self) -> int:
        return len(self._kids)


class KeySource(Protocol):
    async def find(self, kid: str | None, alg: str) -> PyJWK:
        """The key that verifies a token with this header; raises a GatewayError if none."""
        ...

    async def close(self) -> None: ...


def unknown_key() -> AuthenticationFailed:
    return unauthenticated(
        "The token is signed with a key the issuer does not publish (unknown 'kid').",
        code="invalid_token",
        token_error=True,
    )


class JwksFetchError(Exception):
    """The JWKS could not be fetched or used; the message is safe to log."""


class JwksUrlSource:
    """Keys from an issuer's `jwks_uri`, cached and refetched on expiry or an unknown kid."""

    def __init__(
        self,
        url: str,
        algorithms: Collection[str],
        clock: Clock,
        *,
        cache_seconds: float,
        min_refresh_seconds: float,
        timeout_seconds: float,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._url = url
        self._algorithms = frozenset(algorithms)
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._min_refresh = min_refresh_seconds
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session = session
        self._owns_session = session is None
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def find(self, kid: str | None, alg: str) -> PyJWK:
        keys = self._keys
        if keys is None or not keys.knows(kid):
            keys = await self._refresh(keys, need_new=True)
        elif self._clock.now() - self._fetched_at >= self._cache_seconds:
            keys = await self._refresh(keys, need_new=False)
        found = keys.find(kid, alg)
        if found is None:
            raise unknown_key()
        return found

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    async def _refresh(self, seen: KeySet | None, *, need_new: bool) -> KeySet:
        """Fetch again unless another caller just did or the rate limit says wait."""
        async with self._lock:
            current = self._keys
            if current is not None and current is not seen:
                return current
            now = self._clock.now()
            if self._attempted_at is not None and now - self._attempted_at < self._min_refresh:
                if current is None:
                    raise self._unavailable()
                return current
            self._attempted_at = now
            try:
                keys = await self._fetch()
            except JwksFetchError as exc:
                log.warning("cannot fetch the JWKS at %s: %s", self._url, exc)
                if current is None or need_new:
                    raise self._unavailable() from None
                return current
            self._keys = keys
            self._fetched_at = self._clock.now()
            return keys

    async def _fetch(self) -> KeySet:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.get(
                self._url, timeout=self._timeout, allow_redirects=False
            ) as response:
                if response.status != 200:
                    raise JwksFetchError(f"the issuer answered HTTP {response.status}")
                body = await _read_limited(response)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise JwksFetchError(f"request failed ({type(exc).__name__})") from None
        try:
            return KeySet(orjson.loads(body), self._algorithms)
        except orjson.JSONDecodeError:
            raise JwksFetchError("the answer is not JSON") from None
        except ValueError as exc:
            raise JwksFetchError(str(exc)) from None

    def _unavailable(self) -> ServiceUnavailable:
        return ServiceUnavailable(
            "The token issuer's signing keys cannot be fetched right now; try again shortly."
        )


async def _read_limited(response: aiohttp.ClientResponse) -> bytes:
    if (response.content_length or 0) > MAX_JWKS_BYTES:
        raise JwksFetchError(f"the JWKS is larger than {MAX_JWKS_BYTES} bytes")
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_JWKS_BYTES:
            raise JwksFetchError(f"the JWKS is larger than {MAX_JWKS_BYTES} bytes")
    return bytes(body)


class JwksFileSource:
    """Keys from a local JWKS file; reread when an unknown kid shows up and the file changed."""

    def __init__(self, path: Path, algorithms: Collection[str]) -> None:
        self._path = path
        self._algorithms = frozenset(algorithms)
        self._stamp = self._file_stamp()
        try:
            self._keys = self._load()
        except JwksFetchError as exc:
            raise ConfigError(f"{path}: {exc}") from None

    async def find(self, kid: str | None, alg: str) -> PyJWK:
        found = self._keys.find(kid, alg)
        if found is None and not self._keys.knows(kid) and self._reload_if_changed():
            found = self._keys.find(kid, alg)
        if found is None:
            raise unknown_key()
        return found

    async def close(self) -> None:
        return None

    def _reload_if_changed(self) -> bool:
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            self._keys = self._load()
        except JwksFetchError as exc:
            log.warning("keeping the keys read earlier from %s: %s", self._path, exc)
            return False
        return True

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self._path)
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _load(self) -> KeySet:
        try:
            document = orjson.loads(self._path.read_bytes())
        except OSError as exc:
            raise JwksFetchError(f"cannot read the JWKS file ({exc.strerror})") from None
        except orjson.JSONDecodeError:
            raise JwksFetchError("the JWKS file is not JSON") from None
        try:
            return KeySet(document, self._algorithms)
        except ValueError as exc:
            raise JwksFetchError(str(exc)) from None
