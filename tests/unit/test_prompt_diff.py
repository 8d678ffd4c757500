"""Diffs between prompt versions: template and normalised front matter, empty when equal."""

from __future__ import annotations

from sluicegate.prompts.diff import diff_prompts

A = (
    "---\nname: p\nmodel:\n  parameters:\n    temperature: 0.2\n    max_tokens: 50\n"
    "inputs:\n  q: hi\n---\nsystem:\nBe brief.\n\nuser:\n{{ q }}\n"
)


def test_equal_sources_have_no_diff() -> None:
    assert diff_prompts(A, A, "p@1", "p@2") == ""


def test_reordered_keys_and_shorthand_written_in_full_are_no_change() -> None:
    b = (
        "---\ninputs:\n  q:\n    type: string\n    sample: hi\nmodel:\n  api: chat\n"
        "  parameters:\n    max_tokens: 50\n    temperature: 0.2\nname: p\n---\n"
        "system:\nBe brief.\n\nuser:\n{{ q }}\n"
    )
    assert diff_prompts(A, b, "p@1", "p@2") == ""


def test_a_changed_parameter_and_template_line() -> None:
    b = A.replace("temperature: 0.2", "temperature: 0.5").replace("Be brief.", "Be very brief.")
    # Normalised front matter of both, keys sorted:
    #  1 inputs: / 2 q: / 3 type: string / 4 model: / 5 api: chat / 6 parameters: /
    #  7 max_tokens: 50 / 8 temperature: ... / 9 name: p / 10 sample: / 11 q: hi
    assert diff_prompts(A, b, "p@1", "p@2") == (
        "--- p@1 (front matter)\n"
        "+++ p@2 (front matter)\n"
        "@@ -5,7 +5,7 @@\n"
        "   api: chat\n"
        "   parameters:\n"
        "     max_tokens: 50\n"
        "-    temperature: 0.2\n"
        "+    temperature: 0.5\n"
        " name: p\n"
        " sample:\n"
        "   q: hi\n"
        "--- p@1 (template)\n"
        "+++ p@2 (template)\n"
        "@@ -1,5 +1,5 @@\n"
        " system:\n"
        "-Be brief.\n"
        "+Be very brief.\n"
        " \n"
        " user:\n"
        " {{ q }}\n"
    )


def test_only_the_template_changed() -> None:
    b = A.replace("{{ q }}\n", "{{ q }}\nThanks.\n")
    diff = diff_prompts(A, b, "v1", "v2")
    assert "front matter" not in diff
    assert diff.startswith("--- v1 (template)\n+++ v2 (template)\n")
    assert "+Thanks.\n" in diff


def test_a_new_input_and_default_show_in_the_front_matter() -> None:
    b = A.replace(
        "inputs:\n  q: hi\n", "inputs:\n  q: hi\n  n:\n    type: integer\n    default: 2\n"
    )
    diff = diff_prompts(A, b, "v1", "v2")
    assert "+  n:\n+    default: 2\n+    type: integer\n" in diff
    assert "(template)" not in diff


def test_a_source_that_does_not_parse_is_compared_as_text() -> None:
    broken = "---\nname: [\n---\nhi\n"
    diff = diff_prompts(broken, A, "old", "new")
    assert "-name: [\n" in diff
    assert diff_prompts(broken, broken, "a", "b") == ""


def test_a_missing_final_newline_does_not_run_lines_together() -> None:
    diff = diff_prompts("---\nname: a\n---\none", "---\nname: a\n---\ntwo", "a", "b")
    assert diff == "--- a (template)\n+++ b (template)\n@@ -1 +1 @@\n-one\n+two\n"
