"""Gateway-issued API keys: how they are made, recognised, hashed and read from a request.

A key looks like `sg-<key id>-<secret>`: the prefix lets people and secret scanners recognise
it, the key id lets an operator tell keys apart without the secret, and the secret carries 256
bits from `secrets`. Only `hash_key(key)` is ever stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping

from sluicegate.core.errors import AuthenticationFailed

KEY_PREFIX = "sg-"
KEY_ID_BYTES = 6
"""The key id is 12 hex digits: enough to tell keys apart, never enough to guess one."""
SECRET_BYTES = 32
"""256 bits of secret per key."""
ACCEPTED_HEADERS = "'Authorization: Bearer <key or token>' or 'api-key: <key>'"
_BEARER = "bearer "


def generate_key() -> tuple[str, str]:
    """A new key and its id. The key is shown once to its owner and never stored."""
    key_id = secrets.token_hex(KEY_ID_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return f"{KEY_PREFIX}{key_id}-{secret}", key_id


def hash_key(key: str) -> str:
    """The stored form of a key: SHA-256, hex.

    A slow password hash (bcrypt, scrypt, argon2) exists to protect low-entropy secrets people
    choose; these keys hold 256 random bits, so even a fast hash cannot be reversed by brute
    force, and a fast hash keeps the per-request cost in microseconds instead of milliseconds.
    Lookup is by hash, so comparison timing reveals nothing about a key.
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_id_of(key: str) -> str | None:
    """The key id a well-formed key names, without checking it (for humans, not for auth)."""
    if not key.startswith(KEY_PREFIX):
        return None
    key_id, dash, secret = key[len(KEY_PREFIX) :].partition("-")
    if not dash or not secret or len(key_id) != 2 * KEY_ID_BYTES:
        return None
    return key_id


def looks_like_key(credential: str) -> bool:
    return credential.startswith(KEY_PREFIX)


def looks_like_jwt(credential: str) -> bool:
    return credential.count(".") == 2


def read_credential(headers: Mapping[str, str]) -> str:
    """The key or token a request presents.

    `api-key` (Azure OpenAI clients) wins over `Authorization: Bearer` (OpenAI clients) when
    both are sent. `headers` must be case-insensitive, as aiohttp's are.
    """
    api_key = headers.get("api-key", "").strip()
    if api_key:
        return api_key
    authorization = headers.get("Authorization", "").strip()
    if not authorization:
        raise missing_credential()
    if authorization[: len(_BEARER)].lower() != _BEARER:
        raise unauthenticated(
            f"The Authorization header must use the Bearer scheme; send {ACCEPTED_HEADERS}."
        )
    credential = authorization[len(_BEARER) :].strip()
    if not credential:
        raise missing_credential()
    return credential


def missing_credential() -> AuthenticationFailed:
    return unauthenticated(f"No API key or token was sent. Send {ACCEPTED_HEADERS}.")


def unauthenticated(
    message: str, *, code: str | None = None, token_error: bool = False
) -> AuthenticationFailed:
    """A 401 with the `WWW-Authenticate` challenge RFC 6750 asks for."""
    challenge = 'Bearer realm="sluicegate"'
    if token_error:
        challenge += ', error="invalid_token"'
    return AuthenticationFailed(message, code=code, headers={"WWW-Authenticate": challenge})
