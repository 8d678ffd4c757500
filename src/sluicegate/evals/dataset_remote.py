"""A dataset the gateway keeps: `eval run --dataset NAME` (its latest version) or `NAME@v3`.

When the `--dataset` value is not an existing file and reads as a dataset reference, its
content is fetched from the target gateway's admin API
(`GET /admin/datasets/NAME/versions/REF/content`) with the run's key (`--api-key-env`, which
must then be an admin or operator key), checked against the SHA-256 the gateway stored, and read
by the same `parse_dataset` as a file. The run's manifest records the version that was read
(`qa@v3`) and its digest, so resuming after a new version was pushed is refused like resuming
with a changed file.

One plain blocking request: it happens once, while the run is being prepared and before any
event loop runs, so the standard library's client is enough.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

from sluicegate.evals.dataset import Dataset, DatasetError, parse_dataset, read_dataset
from sluicegate.evals.endpoint import Endpoint

DATASET_REF = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]{0,127})(?:@v?([1-9][0-9]{0,8}))?$")
"""`NAME` or `NAME@v3` (`NAME@3`), with the registry's name rule."""
FILE_SUFFIXES = (".jsonl", ".json", ".ndjson", ".txt")
"""Values ending so are files, even when missing: the error is then about the file."""
_MESSAGE_LIMIT = 300

Opener = Callable[..., Any]


def dataset_ref(text: str) -> tuple[str, int | None] | None:
    """The (name, version) a `--dataset` value names in the gateway; None for a file path."""
    if text.lower().endswith(FILE_SUFFIXES):
        return None
    found = DATASET_REF.match(text)
    if found is None:
        return None
    return found.group(1), int(found.group(2)) if found.group(2) else None


def load_dataset(
    path: Path, endpoint: Endpoint, *, timeout: float, opener: Opener = urllib.request.urlopen
) -> Dataset:
    """The file at `path`; else the gateway's dataset it names; raises `DatasetError`."""
    ref = None if path.exists() else dataset_ref(str(path))
    if ref is None:
        return read_dataset(path)
    return fetch_dataset(endpoint, ref[0], ref[1], timeout=timeout, opener=opener)


def fetch_dataset(
    endpoint: Endpoint,
    name: str,
    version: int | None,
    *,
    timeout: float,
    opener: Opener = urllib.request.urlopen,
) -> Dataset:
    asked = name if version is None else f"{name}@v{version}"
    where = f"--dataset {asked}: no such file, and the gateway at {endpoint.label}"
    selector = "latest" if version is None else str(version)
    url = f"{admin_root(endpoint.label)}/admin/datasets/{quote(name)}/versions/{selector}/content"
    headers = {k: v for k, v in endpoint.headers if k.lower() != "content-type"}
    headers["Accept"] = "application/json"
    request = urllib.request.Request(url, headers=headers, method="GET")
    try:
        with opener(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise DatasetError(_refusal(where, error.code, error.read())) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DatasetError(f"{where} cannot be reached ({reason})") from None
    try:
        body = orjson.loads(raw)
        content, digest, ref = body["content"], body["content_hash"], body["ref"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise DatasetError(f"{where} did not answer with a dataset") from None
    if not (isinstance(content, str) and isinstance(digest, str) and isinstance(ref, str)):
        raise DatasetError(f"{where} did not answer with a dataset")
    data = content.encode("utf-8")
    if hashlib.sha256(data).hexdigest() != digest:
        raise DatasetError(f"--dataset {asked}: the content does not match its SHA-256")
    return parse_dataset(data, ref)


def admin_root(base: str) -> str:
    """The gateway's root for a `--target` base URL (which may end in `/v1`)."""
    base = base.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


def _refusal(where: str, status: int, body: bytes) -> str:
    message = ""
    with contextlib.suppress(orjson.JSONDecodeError, KeyError, TypeError):
        message = str(orjson.loads(body)["error"]["message"])[:_MESSAGE_LIMIT]
    said = f": {message}" if message else ""
    if status == 404:
        return f"{where} has no such dataset{said}"
    if status in (401, 403):
        return (
            f"{where} refused to show it (HTTP {status}{said}); reading a dataset needs an "
            "admin or operator key in --api-key-env"
        )
    return f"{where} answered HTTP {status}{said}"
