"""Trace replay files: offsets in any of three forms, sizes or texts, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluicegate.bench.trace import TraceError, parse_trace, read_trace


def test_offsets_sizes_and_texts() -> None:
    entries = parse_trace(
        [
            '{"offset_s": 1.5, "prompt_tokens": 300, "max_tokens": 50}',
            "",
            '{"offset_ms": 500, "prompt": "Hello", "completion_tokens": 20, "model": "gpt-4o"}',
        ]
    )
    assert [e.offset for e in entries] == [0.0, 1.0]  # sorted, earliest at 0
    assert entries[0].prompt == "Hello"
    assert entries[0].max_tokens == 20
    assert entries[0].model == "gpt-4o"
    assert entries[1].prompt_tokens == 300
    assert entries[1].prompt is None


def test_timestamps_become_offsets() -> None:
    entries = parse_trace(
        [
            '{"timestamp": "2025-03-01T10:00:02Z", "prompt_tokens": 10, "max_tokens": 5}',
            '{"timestamp": "2025-03-01T10:00:00+00:00", "prompt_tokens": 10, "max_tokens": 5}',
        ]
    )
    assert [e.offset for e in entries] == [0.0, 2.0]
    epoch = parse_trace(['{"timestamp": 1700000010, "prompt_tokens": 1, "max_tokens": 1}'])
    assert epoch[0].offset == 0.0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "t:2: not a JSON object"),
        ("[1, 2]", "expected a JSON object, got list"),
        ('{"prompt_tokens": 5, "max_tokens": 5}', "'offset_s', 'offset_ms' or 'timestamp'"),
        ('{"offset_s": -1, "prompt_tokens": 5, "max_tokens": 5}', "0 or more"),
        ('{"offset_s": "1", "prompt_tokens": 5, "max_tokens": 5}', "must be a number"),
        ('{"offset_s": 1, "max_tokens": 5}', "'prompt' (text) or 'prompt_tokens'"),
        ('{"offset_s": 1, "prompt_tokens": 0, "max_tokens": 5}', "'prompt_tokens' must be"),
        ('{"offset_s": 1, "prompt_tokens": 5}', "give 'max_tokens'"),
        ('{"offset_s": 1, "prompt": "", "max_tokens": 5}', "non-empty string"),
        ('{"timestamp": "yesterday", "prompt": "x", "max_tokens": 5}', "not ISO 8601"),
    ],
)
def test_bad_lines_name_the_line_and_the_fix(line: str, message: str) -> None:
    good = '{"offset_s": 0, "prompt_tokens": 5, "max_tokens": 5}'
    with pytest.raises(TraceError, match="t:2") as caught:
        parse_trace([good, line], "t")
    assert message in str(caught.value)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(TraceError, match="holds no requests"):
        read_trace(empty)
    with pytest.raises(TraceError, match="cannot read"):
        read_trace(tmp_path / "missing.jsonl")
