"""Which texts of a request the safety detectors read, and rewriting them in place."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.texts import (
    Edit,
    TextKind,
    TextRef,
    apply_edits,
    last_user_prompt,
    request_texts,
)


def chat(*messages: dict[str, Any]) -> dict[str, Any]:
    return {"model": "m", "messages": list(messages)}


def kinds(refs: list[TextRef]) -> list[tuple[TextKind, str]]:
    return [(ref.kind, ref.text) for ref in refs]


def test_only_the_latest_user_message_is_a_prompt_by_default() -> None:
    body = chat(
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "an answer"},
        {"role": "user", "content": "second question"},
    )
    assert kinds(request_texts(Endpoint.CHAT, body, all_user=False)) == [
        (TextKind.PROMPT, "second question")
    ]
    assert kinds(request_texts(Endpoint.CHAT, body, all_user=True)) == [
        (TextKind.PROMPT, "first question"),
        (TextKind.PROMPT, "second question"),
    ]


def test_document_blocks_are_documents_wherever_they_are() -> None:
    body = chat(
        {"role": "system", "content": "Rules. <documents>doc in system</documents> More rules."},
        {"role": "user", "content": "Summarise <documents>the doc</documents> briefly"},
    )
    refs = request_texts(Endpoint.CHAT, body, all_user=False)
    assert kinds(refs) == [
        (TextKind.DOCUMENT, "doc in system"),
        (TextKind.PROMPT, "Summarise "),
        (TextKind.DOCUMENT, "the doc"),
        (TextKind.PROMPT, " briefly"),
    ]
    for ref in refs:
        content = body["messages"][ref.path[1]]["content"]
        assert content[ref.offset : ref.offset + len(ref.text)] == ref.text


def test_an_unclosed_document_block_runs_to_the_end() -> None:
    body = chat({"role": "user", "content": "Read <DOCUMENTS>everything after"})
    assert kinds(request_texts(Endpoint.CHAT, body, all_user=False)) == [
        (TextKind.PROMPT, "Read "),
        (TextKind.DOCUMENT, "everything after"),
    ]


def test_tool_results_after_the_latest_user_message_are_documents() -> None:
    body = chat(
        {"role": "user", "content": "old"},
        {"role": "tool", "tool_call_id": "a", "content": "old result"},
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "content": None, "tool_calls": []},
        {"role": "tool", "tool_call_id": "b", "content": "fresh result"},
        {"role": "function", "name": "f", "content": "function result"},
    )
    assert kinds(request_texts(Endpoint.CHAT, body, all_user=False)) == [
        (TextKind.PROMPT, "look it up"),
        (TextKind.DOCUMENT, "fresh result"),
        (TextKind.DOCUMENT, "function result"),
    ]
    assert (TextKind.DOCUMENT, "old result") in kinds(
        request_texts(Endpoint.CHAT, body, all_user=True)
    )


def test_content_parts_give_their_text_and_skip_images() -> None:
    body = chat(
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is in"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "text", "text": "this picture?"},
                {"type": "text", "text": 42},
                "not a part",
            ],
        }
    )
    refs = request_texts(Endpoint.CHAT, body, all_user=False)
    assert kinds(refs) == [(TextKind.PROMPT, "what is in"), (TextKind.PROMPT, "this picture?")]
    assert refs[1].path == ("messages", 0, "content", 2, "text")


@pytest.mark.parametrize(
    "messages",
    [None, "text", 7, [1, None, "x"], [{"role": 3, "content": "x"}], [{"role": "user"}]],
)
def test_odd_shapes_give_no_text_and_never_raise(messages: object) -> None:
    assert request_texts(Endpoint.CHAT, {"messages": messages}, all_user=True) == []


def test_completion_prompts_and_embedding_inputs() -> None:
    refs = request_texts(Endpoint.COMPLETIONS, {"prompt": ["one", [1, 2], "two"]}, all_user=False)
    assert [(r.kind, r.path, r.text) for r in refs] == [
        (TextKind.PROMPT, ("prompt", 0), "one"),
        (TextKind.PROMPT, ("prompt", 2), "two"),
    ]
    refs = request_texts(
        Endpoint.EMBEDDINGS, {"input": "embed <documents>me</documents>"}, all_user=False
    )
    assert kinds(refs) == [(TextKind.INPUT, "embed <documents>me</documents>")]


def test_edits_rewrite_a_copy_and_keep_offsets_valid() -> None:
    body = chat(
        {"role": "user", "content": [{"type": "text", "text": "mail a@b.io or c@d.io"}]},
        {"role": "user", "content": "plain"},
    )
    before = copy.deepcopy(body)
    path = ("messages", 0, "content", 0, "text")
    edited = apply_edits(
        body,
        [
            Edit(path, 5, 11, "[EMAIL]"),
            Edit(path, 15, 21, "[EMAIL]"),
            Edit(("messages", 1, "content"), 0, 5, "P"),
        ],
    )
    assert edited["messages"][0]["content"][0]["text"] == "mail [EMAIL] or [EMAIL]"
    assert edited["messages"][1]["content"] == "P"
    assert body == before


def test_overlapping_edits_are_refused() -> None:
    body = chat({"role": "user", "content": "abcdef"})
    path = ("messages", 0, "content")
    with pytest.raises(ValueError, match="overlap"):
        apply_edits(body, [Edit(path, 0, 4, "x"), Edit(path, 2, 6, "y")])


def test_the_last_user_prompt() -> None:
    body = chat(
        {"role": "user", "content": "first"},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": "reply"},
    )
    assert last_user_prompt(body) == "ab"
    assert last_user_prompt({"prompt": "complete me"}) == "complete me"
    assert last_user_prompt({"messages": "nonsense"}) == ""
