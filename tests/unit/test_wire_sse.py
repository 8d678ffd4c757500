import pytest

from sluicegate.wire.sse import DONE_EVENT, FrameSplitter, encode_event, event_data

STREAM = b'data: {"a": 1}\n\ndata: {"b": 2}\n\n: keep-alive comment\n\ndata: [DONE]\n\n'


@pytest.mark.parametrize("cut", range(1, len(STREAM)))
def test_frames_survive_any_cut(cut: int) -> None:
    splitter = FrameSplitter()
    frames = list(splitter.feed(STREAM[:cut])) + list(splitter.feed(STREAM[cut:]))
    assert frames == [
        b'data: {"a": 1}\n\n',
        b'data: {"b": 2}\n\n',
        b": keep-alive comment\n\n",
        b"data: [DONE]\n\n",
    ]
    assert splitter.pending == b""


def test_crlf_separators_are_normalised() -> None:
    splitter = FrameSplitter()
    frames = list(splitter.feed(b"data: x\r\n\r\ndata: y\r"))
    frames += list(splitter.feed(b"\n\r\n"))
    assert [event_data(frame) for frame in frames] == [b"x", b"y"]


def test_event_data_joins_lines_and_ignores_comments() -> None:
    assert event_data(b"data: a\ndata: b\n\n") == b"a\nb"
    assert event_data(b"data:tight\n\n") == b"tight"
    assert event_data(b": comment\n\n") is None
    assert event_data(DONE_EVENT) == b"[DONE]"


def test_encode_event_round_trips() -> None:
    assert event_data(encode_event(b'{"x":1}')) == b'{"x":1}'
