"""Test helpers for identity: locally generated signing keys, JWKS documents, tokens, exchanges."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from multidict import CIMultiDict
from tests.exchanges import make_exchange as shared_exchange

from sluicegate.core.exchange import Exchange

ISSUER = "https://login.example.test/tenant-1/v2.0"
AUDIENCE = "api://sluicegate"
APP_ID = "11111111-2222-3333-4444-555555555555"


class Signer:
    """A private key that signs tokens, and its public half as a JWK."""

    def __init__(self, kind: str, kid: str) -> None:
        self.kid = kid
        self.private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
        if kind == "rsa":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.alg = "RS256"
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.alg = "ES256"

    def jwk(self, **extra: Any) -> dict[str, Any]:
        public = self.private.public_key()
        algorithm = RSAAlgorithm if isinstance(public, rsa.RSAPublicKey) else ECAlgorithm
        document: dict[str, Any] = json.loads(algorithm.to_jwk(public))
        document.update({"kid": self.kid, "use": "sig"}, **extra)
        return document

    def token(
        self, claims: dict[str, Any], *, alg: str | None = None, kid: str | None = None
    ) -> str:
        return jwt.encode(
            claims, self.private, algorithm=alg or self.alg, headers={"kid": kid or self.kid}
        )

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def jwks(*signers: Signer) -> dict[str, Any]:
    return {"keys": [signer.jwk() for signer in signers]}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-42",
        "azp": APP_ID,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "roles": ["Gateway.App"],
        "groups": ["group-research"],
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned_parts(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(payload))}"


def none_token(payload: dict[str, Any], kid: str) -> str:
    """A token that claims `alg: none` and carries no signature."""
    return _unsigned_parts({"alg": "none", "typ": "JWT", "kid": kid}, payload) + "."


def hs256_with_public_key(signer: Signer, payload: dict[str, Any]) -> str:
    """The classic key-confusion forgery: HMAC keyed with the issuer's public key."""
    signing_input = _unsigned_parts({"alg": "HS256", "typ": "JWT", "kid": signer.kid}, payload)
    mac = hmac.new(signer.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def make_exchange(
    headers: dict[str, str] | None = None, *, model: str = "gpt-4o", route: str = "gpt-4o"
) -> Exchange:
    return shared_exchange(
        body={"model": model, "messages": []},
        timeout=60.0,
        client_headers=CIMultiDict(headers or {}),
        route=route,
    )
