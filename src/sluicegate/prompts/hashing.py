"""The identity of a prompt version: the hash of its exact source text."""

from __future__ import annotations

import hashlib


def content_hash(source: str) -> str:
    """SHA-256 hex digest of the UTF-8 source, so identical uploads are recognised as one."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()
