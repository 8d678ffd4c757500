"""A readable difference between two prompt versions, for review before a label moves.

The template bodies are compared line by line; the front matter is compared after normalising it
(one spelling per meaning, keys sorted), so reordered keys or a shorthand rewritten in full show
no change while a changed parameter, input or default does.
"""

from __future__ import annotations

import difflib

from sluicegate.prompts.errors import PromptyError
from sluicegate.prompts.prompty import canonical_front_matter, parse_prompty, to_yaml


def _sections(source: str) -> tuple[str, str]:
    """(normalised front matter, body); a source that does not parse is compared as text."""
    try:
        prompty = parse_prompty(source)
    except PromptyError:
        return "", source
    return to_yaml(canonical_front_matter(prompty), sort_keys=True), prompty.body


def _unified(a: str, b: str, a_label: str, b_label: str) -> str:
    a_lines = a.splitlines(keepends=True)
    b_lines = b.splitlines(keepends=True)
    lines = difflib.unified_diff(a_lines, b_lines, fromfile=a_label, tofile=b_label)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def diff_prompts(a_source: str, b_source: str, a_name: str, b_name: str) -> str:
    """A unified diff of front matter and template of two sources; "" when they are equal."""
    a_front, a_body = _sections(a_source)
    b_front, b_body = _sections(b_source)
    parts = [
        _unified(a_front, b_front, f"{a_name} (front matter)", f"{b_name} (front matter)"),
        _unified(a_body, b_body, f"{a_name} (template)", f"{b_name} (template)"),
    ]
    return "".join(part for part in parts if part)
