"""Splitting a prompty file into YAML front matter and template body, and reading that YAML.

The front matter ends at the first line that is exactly `---` (trailing blanks allowed). Such a
line cannot occur inside the YAML itself — at column 0 it would be a YAML document marker — so a
`---` in a block scalar (which is indented) or anywhere in the body never ends it early.

The YAML is read strictly: safe types only, no aliases (nothing expands), no duplicate keys, only
string keys (the result must be JSON), and dates stay text (`version: 2024-05-01` is a string).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, SequenceNode

from sluicegate.prompts.errors import PromptyError

DELIMITER = "---"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, duplicate and non-string keys, and keeps dates as text."""

    yaml_implicit_resolvers = {  # noqa: RUF012 (PyYAML reads this class attribute)
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not supported", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        seen: set[str] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise ConstructorError(
                    None, None, f"keys must be text; quote the key {key!r}", key_node.start_mark
                )
            if key in seen:
                raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class SplitSource:
    """A prompty source cut in two; `yaml_text` is None when the file has no front matter."""

    yaml_text: str | None
    body: str
    body_line: int
    yaml_line: int = 2


def split_front_matter(text: str) -> SplitSource:
    """Cut `text` at its front matter delimiters (only `\\n` separates lines, as in YAML).

    Blank lines before the opening `---` are allowed; anything else there means no front matter.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    opening = 0
    while opening < len(lines) - 1 and not lines[opening].strip():
        opening += 1
    if lines[opening].rstrip(" \t\r") != DELIMITER:
        return SplitSource(None, text, 1)
    for index in range(opening + 1, len(lines)):
        if lines[index].rstrip(" \t\r") == DELIMITER:
            yaml_text = "\n".join(lines[opening + 1 : index]) + "\n"
            return SplitSource(yaml_text, "\n".join(lines[index + 1 :]), index + 2, opening + 2)
    raise PromptyError(
        "front matter opened by '---' is never closed by a '---' line", line=opening + 1
    )


@dataclass(frozen=True)
class LoadedYaml:
    """The parsed front matter and its node tree, kept to name the line of later problems."""

    data: dict[str, Any]
    root: Node | None
    first_line: int

    def line_of(self, path: Sequence[str | int]) -> int:
        """File line of the value at `path` (or of its nearest existing parent)."""
        node = self.root
        line = self.first_line
        for step in path:
            if isinstance(node, MappingNode):
                found = next((v for k, v in node.value if k.value == step), None)
                if found is None:
                    break
                key_line = next(k for k, v in node.value if v is found).start_mark.line
                line = self.first_line + key_line
                node = found
            elif isinstance(node, SequenceNode) and isinstance(step, int):
                if not 0 <= step < len(node.value):
                    break
                node = node.value[step]
                line = self.first_line + node.start_mark.line
            else:
                break
        return line


def load_front_matter(yaml_text: str, first_line: int) -> LoadedYaml:
    """Parse the front matter YAML (which starts at file line `first_line`) into a mapping."""
    loader = _StrictLoader(yaml_text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem and exc.context_mark is not None:
            problem += f" ({exc.context} started at line {first_line + exc.context_mark.line})"
        raise PromptyError(f"front matter is not valid YAML: {problem}", line=line) from None
    except yaml.YAMLError as exc:
        raise PromptyError(f"front matter is not valid YAML: {exc}", line=first_line) from None
    except RecursionError:
        raise PromptyError("front matter is nested too deeply", line=first_line) from None
    finally:
        loader.dispose()
    if data is None:
        return LoadedYaml({}, None, first_line)
    if not isinstance(data, dict):
        raise PromptyError(
            f"front matter must be a mapping of keys, not {type(data).__name__}", line=first_line
        )
    return LoadedYaml(data, root, first_line)
