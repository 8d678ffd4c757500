"""Reading evaluation datasets: the three line shapes, stable ids, and errors with lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sluicegate.evals.dataset import DatasetError, parse_dataset, read_dataset


def jsonl(*lines: object) -> bytes:
    return "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines).encode()


def test_explicit_and_flat_lines_become_items() -> None:
    data = jsonl(
        {"id": "q1", "inputs": {"question": "2+2?"}, "expected": "4", "metadata": {"k": 1}},
        {"question": "3+3?", "context": "arithmetic", "expected": 6},
    )
    dataset = parse_dataset(data, "d.jsonl")
    first, second = dataset.items
    assert first.id == "q1"
    assert dict(first.inputs) == {"question": "2+2?"}
    assert first.expected == "4"
    assert dict(first.metadata) == {"k": 1}
    assert second.id == "line-2"
    assert dict(second.inputs) == {"question": "3+3?", "context": "arithmetic"}
    assert second.expected == "6"


def test_line_ids_count_physical_lines_so_blank_lines_do_not_shift_them() -> None:
    dataset = parse_dataset(jsonl({"q": "a"}, "", "   ", {"q": "b"}, {"id": 7, "q": "c"}), "d")
    assert [item.id for item in dataset.items] == ["line-1", "line-4", "7"]


def test_the_digest_is_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(jsonl({"q": "a"}))
    first = read_dataset(path)
    assert first.sha256 == read_dataset(path).sha256
    path.write_bytes(jsonl({"q": "b"}))
    assert read_dataset(path).sha256 != first.sha256


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (('{"q": "a"}', "{not json"), "d.jsonl line 2: not valid JSON"),
        (("[1, 2]",), "d.jsonl line 1: each line must be a JSON object, not an array"),
        (({"inputs": "text"},), '"inputs" must be an object'),
        (({"inputs": {"q": 1}, "question": "x"},), "unknown key(s) 'question'"),
        (({"inputs": {}},), "the item has no inputs"),
        (({"id": "x"},), "the item has no inputs"),
        (({"q": "a", "expected": ["4"]},), '"expected" must be text'),
        (({"q": "a", "metadata": "m"},), '"metadata" must be an object'),
        (({"q": "a", "id": {"x": 1}},), '"id" must be text or a whole number'),
        (({"q": "a", "id": " "},), '"id" is empty'),
        (({"id": "a", "q": 1}, {"id": "b", "q": 2}, {"id": "a", "q": 3}),
         "d.jsonl line 3: id 'a' is already used on line 1"),
        (("", " "), "d.jsonl: the dataset has no items"),
    ],
)  # fmt: skip
def test_mistakes_are_named_with_their_line(lines: tuple[object, ...], message: str) -> None:
    with pytest.raises(DatasetError) as raised:
        parse_dataset(jsonl(*lines), "d.jsonl")
    assert message in str(raised.value)


def test_a_missing_file_is_a_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="cannot read the dataset"):
        read_dataset(tmp_path / "missing.jsonl")


def feedback_line(**changes: object) -> dict[str, object]:
    line: dict[str, object] = {
        "request_id": "req-1",
        "request_at": "2026-11-03T09:13:58.402Z",
        "model": "gpt-4o",
        "prompt_version": "support@v7",
        "backend": "ptu",
        "consumer": "c",
        "team": "t",
        "rater": "r",
        "thumbs": "down",
        "score": None,
        "label": "wrong_facts",
        "comment": "no",
        "correction": "Canberra.",
        "sentiment": "negative",
        "rated_at": "2026-11-03T09:14:02.118Z",
        "input": {
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Capital of Germany?"},
                {"role": "assistant", "content": "Berlin."},
                {"role": "user", "content": [{"type": "text", "text": "And of Australia?"}]},
            ],
        },
        "output": {"choices": [{"message": {"role": "assistant", "content": "Sydney."}}]},
    }
    line.update(changes)
    return line


def test_a_feedback_export_line_replays_the_last_user_message() -> None:
    (item,) = parse_dataset(jsonl(feedback_line()), "fb.jsonl").items
    assert item.id == "req-1"
    assert dict(item.inputs) == {"input": "And of Australia?"}
    assert item.expected == "Canberra."
    assert item.metadata["source"] == "feedback"
    assert item.metadata["sentiment"] == "negative"
    assert item.metadata["answer"] == "Sydney."
    assert item.metadata["prompt_version"] == "support@v7"
    assert len(item.metadata["messages"]) == 4


def test_a_liked_reply_is_the_reference_and_a_disliked_one_is_not() -> None:
    liked = feedback_line(request_id="a", correction=None, sentiment="positive", thumbs="up")
    disliked = feedback_line(request_id="b", correction=None)
    first, second = parse_dataset(jsonl(liked, disliked), "fb.jsonl").items
    assert first.expected == "Sydney."
    assert second.expected is None


def test_feedback_without_a_replayable_capture_is_skipped_and_counted() -> None:
    lines = jsonl(
        feedback_line(request_id="kept"),
        feedback_line(request_id="uncaptured", input=None),
        feedback_line(request_id="cut", input='{"messages": [{"role": "us'),
    )
    dataset = parse_dataset(lines, "fb.jsonl")
    assert [item.id for item in dataset.items] == ["kept"]
    assert [(s.line, s.reason) for s in dataset.skipped] == [
        (2, "the rated request was not captured (input is null)"),
        (3, "the captured request was cut short by capture.max_chars"),
    ]


def test_a_feedback_file_with_nothing_replayable_says_why() -> None:
    with pytest.raises(DatasetError, match="1 line\\(s\\) skipped: the rated request was not"):
        parse_dataset(jsonl(feedback_line(input=None)), "fb.jsonl")
