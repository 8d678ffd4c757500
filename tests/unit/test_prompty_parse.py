"""Parsing prompty files: front matter, model, inputs in every accepted form, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluicegate.prompts.inputs import PromptInput
from sluicegate.prompts.prompty import ModelSpec, Prompty, PromptyError, dump_prompty, parse_prompty

DATA = Path(__file__).resolve().parents[1] / "data" / "prompty"


def load(name: str) -> Prompty:
    return parse_prompty((DATA / name).read_text(encoding="utf-8"))


def error_of(text: str) -> PromptyError:
    with pytest.raises(PromptyError) as caught:
        parse_prompty(text)
    return caught.value


# --- the documented shapes ---------------------------------------------------------------------


def test_basic_file_parses_every_section() -> None:
    prompty = load("basic.prompty")
    assert prompty.name == "Basic Prompt"
    assert prompty.description == "A basic prompt that answers questions about a customer"
    assert prompty.model == ModelSpec(
        api="chat",
        configuration={
            "type": "azure_openai",
            "azure_endpoint": "${env:AZURE_OPENAI_ENDPOINT}",
            "azure_deployment": "gpt-4o-mini",
            "api_key": "${env:AZURE_OPENAI_API_KEY}",
        },
        parameters={"max_tokens": 128, "temperature": 0.2, "stop": ["###"]},
    )
    assert prompty.inputs == (
        PromptInput("first_name", "string", "The customer's first name"),
        PromptInput("question", "string", "What the customer asks"),
        PromptInput("max_words", "integer", "Longest answer allowed", 50, True),
    )
    # A per-input sample joins the top-level sample, which wins where both give one.
    assert prompty.sample == {"first_name": "Jane", "question": "What is the return policy?"}
    assert prompty.template_format == "jinja2"
    assert prompty.body.startswith("system:\nYou are a helpful assistant for {{ first_name }}.\n")
    assert prompty.body.endswith("user:\n{{ question }}\n")
    # Keys the gateway does not interpret are kept.
    assert prompty.front_matter["authors"] == ["Ana Lima"]
    assert prompty.front_matter["tags"] == ["support", "basic"]
    assert prompty.front_matter["version"] == "1.0"


def test_env_references_stay_text_even_when_the_variable_exists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "sk-secret-from-the-server")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.invalid")
    prompty = load("basic.prompty")
    assert prompty.model.configuration["api_key"] == "${env:AZURE_OPENAI_API_KEY}"
    assert "sk-secret-from-the-server" not in repr(prompty)


def test_sample_only_file_takes_its_inputs_from_the_sample() -> None:
    prompty = load("sample_only.prompty")
    assert [(i.name, i.type, i.has_default) for i in prompty.inputs] == [
        ("firstName", "string", False),
        ("context", "string", False),
        ("question", "string", False),
    ]
    # A folded scalar joins its lines with spaces and keeps one final newline.
    assert prompty.sample["context"] == (
        "The Alpine Explorer Tent boasts a detachable divider for privacy, "
        "numerous mesh windows and adjustable vents for ventilation.\n"
    )
    # `2024-07-01-preview` and dates in general stay text.
    assert prompty.model.configuration["api_version"] == "2024-07-01-preview"


def test_dates_stay_text() -> None:
    prompty = parse_prompty("---\nname: d\nversion: 2024-05-01\n---\nhi\n")
    assert prompty.front_matter["version"] == "2024-05-01"


def test_inputs_shorthand_and_full_forms_mix() -> None:
    prompty = load("inputs_shorthand.prompty")
    assert prompty.inputs == (
        PromptInput("firstName", "string", "The first name of the customer"),
        PromptInput("lastName", "string"),
        PromptInput("age", "number"),
        PromptInput("vip", "boolean"),
        PromptInput("tags", "array"),
        PromptInput("profile", "object"),
        PromptInput("notes", "any"),
    )
    assert prompty.sample == {
        "firstName": "Jane",
        "lastName": "Doe",
        "age": 41,
        "vip": False,
        "tags": ["new", "web"],
        "profile": {"city": "Lisbon"},
    }
    assert prompty.model.parameters == {"temperature": 0.7}


def test_inputs_as_a_list_of_named_entries() -> None:
    prompty = load("inputs_list.prompty")
    assert prompty.inputs == (
        PromptInput("question", "string", "The question"),
        PromptInput("language", "string", "", "English", True),
    )


def test_required_false_makes_an_input_optional_with_null_default() -> None:
    prompty = parse_prompty(
        "---\ninputs:\n  tone:\n    type: string\n    required: false\n---\n{{ tone }}\n"
    )
    assert prompty.inputs == (PromptInput("tone", "string", "", None, True),)


def test_newer_model_key_names_are_read_as_the_older_ones() -> None:
    prompty = parse_prompty(
        "---\nmodel:\n  connection:\n    type: openai\n  options:\n    seed: 7\n---\nhi\n"
    )
    assert prompty.model == ModelSpec("chat", {"type": "openai"}, {"seed": 7})


def test_completion_api_and_template_as_a_mapping() -> None:
    prompty = load("completion.prompty")
    assert prompty.model.api == "completion"
    dict_form = parse_prompty("---\ntemplate:\n  format: jinja2\n  parser: prompty\n---\nhi\n")
    assert dict_form.template_format == "jinja2"


def test_outputs_as_mapping_or_list() -> None:
    mapping = parse_prompty("---\noutputs:\n  answer:\n    type: string\n---\nhi\n")
    listed = parse_prompty("---\noutputs:\n  - name: answer\n    type: string\n---\nhi\n")
    assert mapping.outputs == listed.outputs == {"answer": {"type": "string"}}


# --- where the front matter ends ---------------------------------------------------------------


def test_no_front_matter_is_all_body() -> None:
    text = (DATA / "no_front_matter.prompty").read_text(encoding="utf-8")
    prompty = parse_prompty(text)
    assert prompty.name == ""
    assert prompty.front_matter == {}
    assert prompty.inputs == ()
    assert prompty.model == ModelSpec()
    assert prompty.body == text


def test_dashes_in_the_body_do_not_split_it() -> None:
    prompty = load("dashes_in_body.prompty")
    assert prompty.front_matter == {"name": "dashes", "inputs": {"topic": "sailing"}}
    assert prompty.body == (
        "system:\nReply in markdown. Separate sections with a rule:\n---\n"
        "like the line above.\n---\n\nuser:\n{{ topic }}\n"
    )


def test_dashes_inside_block_scalars_belong_to_the_scalar() -> None:
    prompty = load("block_scalars.prompty")
    assert (
        prompty.description
        == "A description kept as written,\n---\nwith a rule inside the block.\n"
    )
    assert prompty.model.parameters == {"stop": ["\n---\n"]}
    assert prompty.inputs == (
        PromptInput("notes", "string", "", "first line\n---\nlast line\n", True),
    )
    assert prompty.sample == {"notes": "folded lines become one\n"}
    assert prompty.body == "user:\n{{ notes }}\n"


def test_dashes_inside_a_line_do_not_close() -> None:
    # A delimiter is a whole line: `---` inside a value (or an indented one) is text.
    prompty = parse_prompty("---\nname: a --- b\ndescription: >\n  ---\n---\nbody\n")
    assert prompty.name == "a --- b"
    assert prompty.description == "---\n"
    assert prompty.body == "body\n"


def test_blank_lines_before_the_front_matter_and_a_byte_order_mark() -> None:
    prompty = parse_prompty("\ufeff\n\n---\nname: late\n---\nbody\n")
    assert prompty.name == "late"
    assert prompty.body == "body\n"


def test_windows_line_endings() -> None:
    prompty = parse_prompty("---\r\nname: crlf\r\n---\r\nsystem:\r\nhi\r\n")
    assert prompty.name == "crlf"
    assert prompty.body == "system:\r\nhi\r\n"


def test_unicode_everywhere() -> None:
    prompty = load("unicode.prompty")
    assert prompty.name == "多言語 übersetzer"
    assert prompty.description == "Traduit « le texte » — 翻訳します 🌍"
    assert prompty.inputs == (PromptInput("texte", "string", "Le texte à traduire"),)


def test_empty_body_parses() -> None:
    prompty = load("empty_body.prompty")
    assert prompty.body == ""
    assert prompty.description == "no template at all"


def test_empty_front_matter() -> None:
    prompty = parse_prompty("---\n---\nhi\n")
    assert prompty.front_matter == {}
    assert prompty.body == "hi\n"


def test_missing_name_is_empty() -> None:
    prompty = load("missing_name.prompty")
    assert prompty.name == ""
    assert prompty.description == "A prompt without a name"


# --- errors name the line ----------------------------------------------------------------------


def test_bad_yaml_names_the_line() -> None:
    error = error_of((DATA / "bad_yaml.prompty").read_text(encoding="utf-8"))
    assert error.line == 6
    assert str(error).startswith("line 6: front matter is not valid YAML")
    assert "started at line 5" in str(error)
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_unclosed_front_matter() -> None:
    error = error_of("---\nname: open\nuser:\nhi\n")
    assert error.line == 1
    assert "never closed" in str(error)


def test_sample_file_reference_is_refused() -> None:
    error = error_of((DATA / "sample_file.prompty").read_text(encoding="utf-8"))
    assert error.line == 3
    assert "${file:sample.json}" in str(error)
    assert "inline" in str(error)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("---\na: 1\na: 2\n---\n", 3, "duplicate key 'a'"),
        ("---\na: &x [1]\nb: *x\n---\n", 3, "aliases"),
        ("---\n1: one\n---\n", 2, "quote the key 1"),
        ("---\nname: !!python/object/apply:os.getcwd []\n---\n", 2, "constructor"),
        ("---\n- a list\n---\n", 2, "must be a mapping"),
        ("---\nname: 5\n---\n", 2, "'name' must be text, not integer"),
        ("---\nname: ok\ndescription: [x]\n---\n", 3, "'description' must be text"),
        ("---\nmodel: gpt-4o\n---\n", 2, "'model' must be a mapping"),
        ("---\nmodel:\n  api: embedding\n---\n", 3, "model.api must be one of chat, completion"),
        ("---\nmodel:\n  parameters: 3\n---\n", 3, "'model.parameters' must be a mapping"),
        (
            "---\nmodel:\n  configuration: {}\n  connection: {}\n---\n",
            4,
            "both 'configuration' and 'connection'",
        ),
        ("---\ntemplate: mustache\n---\n", 2, "template format 'mustache' is not supported"),
        ("---\nsample: [1, 2]\n---\n", 2, "'sample' must be a mapping"),
        ("---\ninputs: 3\n---\n", 2, "'inputs' must be a mapping or a list"),
        ("---\ninputs:\n  - type: string\n---\n", 3, "needs a 'name'"),
        (
            "---\ninputs:\n  - name: a\n    type: string\n  - name: a\n    type: string\n---\n",
            5,
            "declared twice",
        ),
        ("---\ninputs:\n  q:\n    description: d\n---\n", 3, "needs a 'type'"),
        ("---\ninputs:\n  q:\n    type: text\n---\n", 4, "unknown type 'text'"),
        ("---\ninputs:\n  q:\n    type: integer\n    default: 1.5\n---\n", 5, "is number"),
        ("---\ninputs:\n  q:\n    type: string\n    description: 7\n---\n", 5, "description"),
        ("---\ninputSchema:\n  properties: []\n---\n", 2, "newer prompty format"),
        ("---\nname: a\n---\nhello\n{{ who }}\n", 5, "reads who, not declared"),
        ("---\nname: a\n---\nhi\n\n{% for x in %}\n", 6, "template syntax error"),
        ("no front matter\n{{ x }}", 2, "reads x"),
        ("---\nname: a\n---\nhi\n{% include 'other' %}\n", 5, "cannot extend, include or import"),
        ("---\nname: a\n---\n{% extends 'base' %}\n", 4, "cannot extend, include or import"),
        ("---\nname: a\n---\n{% from 'm' import x %}\n", 4, "cannot extend, include or import"),
        ("---\na: " + "[" * 3000 + "]" * 3000 + "\n---\n", 2, "nested too deeply"),
        ("---\nname: a\n---\n{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}\n", 4, "too deeply"),
    ],
)
def test_errors_name_the_line(text: str, line: int, fragment: str) -> None:
    error = error_of(text)
    assert error.line == line
    assert str(error).startswith(f"line {line}: ")
    assert fragment in str(error)


def test_undeclared_variables_are_all_named_in_order_of_use() -> None:
    error = error_of("---\ninputs:\n  b: x\n---\n{{ c }}{{ b }}\n{{ a }}{% set d = 1 %}{{ d }}\n")
    assert "reads c, a, not declared" in str(error)
    assert error.line == 5


def test_errors_are_value_errors() -> None:
    assert issubclass(PromptyError, ValueError)


# --- writing back ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "basic.prompty",
        "sample_only.prompty",
        "block_scalars.prompty",
        "inputs_shorthand.prompty",
        "inputs_list.prompty",
        "unicode.prompty",
        "completion.prompty",
        "chat_history.prompty",
        "no_front_matter.prompty",
        "empty_body.prompty",
    ],
)
def test_dump_then_parse_gives_the_same_prompt(name: str) -> None:
    original = load(name)
    again = parse_prompty(dump_prompty(original))
    for field in ("name", "description", "model", "inputs", "outputs", "sample", "body"):
        assert getattr(again, field) == getattr(original, field), field
    assert again.template_format == original.template_format
    for key, value in original.front_matter.items():
        if key not in ("inputs", "template", "model", "sample", "description"):
            assert again.front_matter[key] == value
    # Dumping is stable: a dumped file dumps to itself.
    assert dump_prompty(again) == dump_prompty(original)


def test_dump_of_a_prompt_built_from_parts() -> None:
    prompty = Prompty(
        name="from-parts",
        description="Line one\nline two",
        model=ModelSpec(parameters={"temperature": 0}),
        inputs=(
            PromptInput("q", "string", "the question"),
            PromptInput("n", "integer", "", 3, True),
        ),
        body="system:\nBe brief, {{ n }} words.\n\nuser:\n{{ q }}\n",
    )
    text = dump_prompty(prompty)
    assert text == (
        "---\n"
        "name: from-parts\n"
        "description: |-\n"
        "  Line one\n"
        "  line two\n"
        "model:\n"
        "  api: chat\n"
        "  parameters:\n"
        "    temperature: 0\n"
        "inputs:\n"
        "  q:\n"
        "    type: string\n"
        "    description: the question\n"
        "  n:\n"
        "    type: integer\n"
        "    default: 3\n"
        "---\n"
        "system:\nBe brief, {{ n }} words.\n\nuser:\n{{ q }}\n"
    )
    assert parse_prompty(text).inputs == prompty.inputs


def test_dump_refuses_parts_that_do_not_make_a_prompt() -> None:
    with pytest.raises(PromptyError, match="reads q"):
        dump_prompty(Prompty(name="x", body="{{ q }}"))
    with pytest.raises(PromptyError, match="cannot write a value of type object"):
        dump_prompty(Prompty(name="x", sample={"a": object()}))
