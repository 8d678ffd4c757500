"""Reading a prompt reference from a request: body field, header, defaults and refusals."""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.core.errors import InvalidRequest
from sluicegate.policies.prompt_ref import PromptReference, find_reference, parse_header
from sluicegate.wire.endpoints import Endpoint

CHAT = Endpoint.CHAT
COMPLETIONS = Endpoint.COMPLETIONS


def ref(body: dict[str, Any], header: str | None = None, endpoint: Endpoint = CHAT) -> Any:
    return find_reference(body, header, endpoint)


def test_a_request_without_a_reference_has_none() -> None:
    assert ref({"model": "gpt-4o", "messages": []}) is None


def test_a_body_reference_without_label_or_version_means_production() -> None:
    found = ref({"prompt": {"name": "support-answer", "variables": {"q": "hi"}}})
    assert found == PromptReference(
        "support-answer", "production", None, {"q": "hi"}, True, "prompt"
    )
    assert str(found) == "support-answer@production"


@pytest.mark.parametrize(("version", "number"), [(3, 3), ("3", 3), ("v12", 12)])
def test_a_body_reference_may_name_a_version(version: object, number: int) -> None:
    found = ref({"prompt": {"name": "a", "version": version}})
    assert (found.label, found.version, str(found)) == (None, number, f"a@v{number}")


def test_a_body_reference_may_name_a_label() -> None:
    assert ref({"prompt": {"name": "a", "label": "staging"}}).label == "staging"


@pytest.mark.parametrize(
    ("prompt", "param", "words"),
    [
        ("support-answer", "prompt", "must be an object"),
        ({"label": "production"}, "prompt.name", "required"),
        ({"name": "bad name!"}, "prompt.name", "not a prompt name"),
        ({"name": "a", "label": "v3"}, "prompt.label", "is a version"),
        ({"name": "a", "label": "x", "version": 2}, "prompt.version", "not both"),
        ({"name": "a", "version": 0}, "prompt.version", "not a version"),
        ({"name": "a", "version": True}, "prompt.version", "not a version"),
        ({"name": "a", "variables": ["x"]}, "prompt.variables", "must be an object"),
        ({"name": "a", "id": "pmpt_1"}, "prompt", "unknown field(s): 'id'"),
    ],
)
def test_malformed_body_references_are_refused_naming_the_field(
    prompt: object, param: str, words: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        ref({"prompt": prompt})
    assert refused.value.status == 400
    assert refused.value.param == param
    assert words in refused.value.message


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("support", ("support", "production", None)),
        ("support@staging", ("support", "staging", None)),
        ("support@v4", ("support", None, 4)),
        ("support@4", ("support", None, 4)),
    ],
)
def test_the_header_names_a_label_or_a_version(
    header: str, expected: tuple[str, str | None, int | None]
) -> None:
    assert parse_header(header) == expected


@pytest.mark.parametrize("header", ["", "@production", "a@", "a@b c", "a b"])
def test_malformed_headers_are_refused(header: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_header(header)
    assert refused.value.param == "x-sluicegate-prompt"


def test_with_the_header_variables_come_from_the_body() -> None:
    found = ref({"messages": [], "prompt": {"variables": {"q": 1}}}, "a@v2")
    assert (found.name, found.version, found.variables, found.strip_field) == (
        "a",
        2,
        {"q": 1},
        True,
    )
    assert ref({"messages": []}, "a").variables == {}


def test_with_the_header_the_body_may_not_name_a_prompt_too() -> None:
    with pytest.raises(InvalidRequest) as refused:
        ref({"prompt": {"name": "b", "variables": {}}}, "a")
    assert refused.value.param == "prompt"


def test_a_completion_text_prompt_is_openais_own_field() -> None:
    assert ref({"prompt": "Say hi"}, None, COMPLETIONS) is None
    assert ref({"prompt": ["a", "b"]}, None, COMPLETIONS) is None
    assert ref({"prompt": [1, 2, 3]}, None, COMPLETIONS) is None
    with_header = ref({"prompt": "Say hi"}, "a", COMPLETIONS)
    assert with_header.strip_field is False  # the text stays, after the rendered one


def test_a_completion_object_with_a_name_is_a_reference() -> None:
    found = ref({"prompt": {"name": "a", "label": "beta"}}, None, COMPLETIONS)
    assert (found.name, found.label, found.strip_field) == ("a", "beta", True)


def test_embeddings_refuse_a_reference() -> None:
    assert ref({"input": "x", "prompt": "text"}, None, Endpoint.EMBEDDINGS) is None
    for body, header in (({"input": "x", "prompt": {"name": "a"}}, None), ({"input": "x"}, "a")):
        with pytest.raises(InvalidRequest) as refused:
            ref(body, header, Endpoint.EMBEDDINGS)
        assert "chat completions and completions only" in refused.value.message
