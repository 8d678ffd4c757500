import pytest

from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.request import RequestFormatError, parse_request

CHAT = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}'


def test_parses_model_stream_and_usage_option() -> None:
    raw = (
        b'{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,'
        b'"stream_options":{"include_usage":true}}'
    )
    parsed = parse_request(raw, Endpoint.CHAT, model_required=True)
    assert parsed.model == "m"
    assert parsed.stream is True
    assert parsed.include_usage is True


def test_deployment_paths_do_not_need_a_model() -> None:
    raw = b'{"messages": [{"role": "user", "content": "hi"}]}'
    parsed = parse_request(raw, Endpoint.CHAT, model_required=False)
    assert parsed.model is None
    assert parsed.stream is False


@pytest.mark.parametrize(
    ("raw", "endpoint", "needle", "param"),
    [
        (b"", Endpoint.CHAT, "empty", None),
        (b"{not json", Endpoint.CHAT, "not valid JSON", None),
        (b"[1, 2]", Endpoint.CHAT, "JSON object", None),
        (b'{"messages": [{"role": "user"}]}', Endpoint.CHAT, "model", "model"),
        (b'{"model": 3, "messages": []}', Endpoint.CHAT, "non-empty string", "model"),
        (b'{"model": "m"}', Endpoint.CHAT, "messages", "messages"),
        (b'{"model": "m", "messages": []}', Endpoint.CHAT, "non-empty array", "messages"),
        (b'{"model": "m", "messages": ["hi"]}', Endpoint.CHAT, "role", "messages[0]"),
        (
            b'{"model": "m", "prompt": "x", "stream": "yes"}',
            Endpoint.COMPLETIONS,
            "boolean",
            "stream",
        ),
        (b'{"model": "m", "input": "x", "stream": true}', Endpoint.EMBEDDINGS, "stream", "stream"),
        (b'{"model": "m"}', Endpoint.EMBEDDINGS, "input", "input"),
        (
            b'{"model": "m", "prompt": "x", "max_tokens": 0}',
            Endpoint.COMPLETIONS,
            "positive integer",
            "max_tokens",
        ),
        (
            b'{"model": "m", "prompt": "x", "stream_options": 1}',
            Endpoint.COMPLETIONS,
            "object",
            "stream_options",
        ),
    ],
)
def test_bad_bodies_get_a_clear_message(
    raw: bytes, endpoint: Endpoint, needle: str, param: str | None
) -> None:
    with pytest.raises(RequestFormatError) as caught:
        parse_request(raw, endpoint, model_required=True)
    assert needle in str(caught.value)
    assert caught.value.param == param


def test_invalid_utf8_is_a_format_error_not_a_crash() -> None:
    with pytest.raises(RequestFormatError):
        parse_request(b'{"model": "\xff\xfe"}', Endpoint.CHAT, model_required=True)
