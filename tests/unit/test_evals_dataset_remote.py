"""`--dataset` values that name a dataset the gateway keeps, and what is checked in what the
gateway answers (the wire itself is exercised end to end in tests/e2e/test_cli_datasets.py)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from sluicegate.evals.dataset import DatasetError
from sluicegate.evals.dataset_remote import admin_root, dataset_ref, load_dataset
from sluicegate.evals.endpoint import build_endpoint

CONTENT = '{"question": "2+2?"}\n'


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("qa", ("qa", None)),
        ("qa@v3", ("qa", 3)),
        ("qa@3", ("qa", 3)),
        ("support.eu-2", ("support.eu-2", None)),
        ("qa.jsonl", None),
        ("data/qa", None),
        ("qa@latest", None),
        ("qa@v0", None),
        ("", None),
    ],
)
def test_which_values_name_a_stored_dataset(text: str, ref: tuple[str, int | None] | None) -> None:
    assert dataset_ref(text) == ref


def test_the_admin_root_of_a_target() -> None:
    assert admin_root("http://gw:8080/v1/") == "http://gw:8080"
    assert admin_root("https://host/gateway") == "https://host/gateway"


class Answer(io.BytesIO):
    def __enter__(self) -> Answer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def opener(body: dict[str, Any], seen: list[Any]) -> Any:
    def open_(request: Any, timeout: float) -> Answer:
        seen.append((request.full_url, dict(request.header_items()), timeout))
        return Answer(orjson.dumps(body))

    return open_


def endpoint() -> Any:
    return build_endpoint(
        "http://gw:8080/v1", key_env="K", environ={"K": "sg-key"}, extra_headers=["X-Team: a"]
    )


def test_a_stored_dataset_is_fetched_with_the_runs_key_and_read_like_a_file(
    tmp_path: Path,
) -> None:
    seen: list[Any] = []
    body = {
        "ref": "qa@v2",
        "content": CONTENT,
        "content_hash": hashlib.sha256(CONTENT.encode()).hexdigest(),
    }
    dataset = load_dataset(Path("qa"), endpoint(), timeout=7, opener=opener(body, seen))
    assert (dataset.source, len(dataset.items)) == ("qa@v2", 1)
    assert dataset.sha256 == body["content_hash"]
    ((url, headers, timeout),) = seen
    assert url == "http://gw:8080/admin/datasets/qa/versions/latest/content"
    assert headers["Authorization"] == "Bearer sg-key"
    assert headers["X-team"] == "a"
    assert timeout == 7


def test_content_that_does_not_match_its_digest_is_refused() -> None:
    body = {"ref": "qa@v2", "content": CONTENT, "content_hash": "0" * 64}
    with pytest.raises(DatasetError, match="does not match its SHA-256"):
        load_dataset(Path("qa@v2"), endpoint(), timeout=1, opener=opener(body, []))


def test_a_file_wins_and_a_missing_file_path_stays_a_file_error(tmp_path: Path) -> None:
    (tmp_path / "qa").write_text(CONTENT)
    found = load_dataset(tmp_path / "qa", endpoint(), timeout=1, opener=opener({}, []))
    assert found.source == str(tmp_path / "qa")
    with pytest.raises(DatasetError, match="cannot read the dataset"):
        load_dataset(tmp_path / "missing.jsonl", endpoint(), timeout=1, opener=opener({}, []))
