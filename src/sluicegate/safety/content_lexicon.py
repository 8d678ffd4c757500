"""The graded lexicons of content safety: how they are written, checked and compiled.

Each file under `lexicons/` holds one category's entries; `common.yaml` holds the macros
(`@you`, `@group`, …) and the context features every category may use. An entry is a set of
phrases with a base severity (0–7) and adjustments: `boost` and `damp` map a context feature
(`intent`, `instruction`, `mitigator`, `negation`, …) to severity added or taken away when that
feature is found in the sentence around the match. A `benign` entry (severity 0) claims its span
for every category: "kill the child process" is about software, whatever "kill" and "child"
would say apart.

Phrase syntax, on folded text (lower case, NFKC): words separated by spaces match any run of
whitespace; `{a|b c}` is a choice of phrases; `[a b]` is optional; `~N` skips up to N words;
`@name` is a macro from `common.yaml`; a trailing `*` on a word (not the first) matches any
ending. The first word of every phrase is its anchor: phrases are only tried where an anchor
stands in the text as a whole word, so the first word must be literal (no `*`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from sluicegate.safety.term_trie import first_word
from sluicegate.safety.verdict import Category, check_severity

LEXICON_PACKAGE = "sluicegate.safety"
LEXICON_DIR = "lexicons"
CATEGORY_FILES: Mapping[Category, str] = MappingProxyType(
    {
        Category.HATE: "hate.yaml",
        Category.SEXUAL: "sexual.yaml",
        Category.VIOLENCE: "violence.yaml",
        Category.SELF_HARM: "self_harm.yaml",
    }
)
BENIGN_FILE = "benign.yaml"
COMMON_FILE = "common.yaml"
SCOPES = ("before", "after", "sentence")
_SEPARATOR = r"\s+"
_GAP = re.compile(r"~(\d)")
COMMON_WORDS = frozenset(
    {
        "a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been",
        "being", "but", "by", "can", "could", "did", "do", "does", "for", "from", "get", "got",
        "had", "has", "have", "he", "her", "here", "him", "his", "how", "i", "if", "in", "into",
        "is", "it", "its", "just", "me", "more", "most", "my", "no", "not", "now", "of", "on",
        "one", "only", "or", "our", "out", "over", "she", "so", "some", "such", "than", "that",
        "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "up",
        "us", "very", "was", "we", "were", "what", "when", "where", "which", "who", "why",
        "will", "with", "would", "you", "your",
    }
)  # fmt: skip
"""Words too common to anchor a phrase: every occurrence costs a try of its phrases, and these
are in every sentence. Write the phrase from its first distinctive word instead."""
_WORD = re.compile(r"[\w'’\-.+#/&:$%]+\*?")


class LexiconError(ValueError):
    """A lexicon file that does not follow the format; names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Feature:
    """Something about the sentence around a match that changes its severity."""

    name: str
    scope: str
    window: int
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    category: Category | None
    """None for benign entries, which claim their span for every category."""
    severity: int
    pattern: re.Pattern[str]
    anchors: frozenset[str]
    boost: tuple[tuple[str, int], ...] = ()
    damp: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Lexicon:
    entries: tuple[Entry, ...]
    features: Mapping[str, Feature]

    def by_anchor(self) -> dict[str, tuple[Entry, ...]]:
        table: dict[str, list[Entry]] = {}
        for entry in self.entries:
            for anchor in entry.anchors:
                table.setdefault(anchor, []).append(entry)
        return {anchor: tuple(entries) for anchor, entries in table.items()}


def load(categories: Iterable[Category]) -> Lexicon:
    """The packaged lexicons of `categories`, the benign phrases and the common features."""
    root = resources.files(LEXICON_PACKAGE).joinpath(LEXICON_DIR)
    common = _read(root.joinpath(COMMON_FILE).read_text("utf-8"), COMMON_FILE)
    macros = _macros(common.get("macros", {}), COMMON_FILE)
    features = _features(common.get("features", {}), COMMON_FILE)
    entries: list[Entry] = []
    files = [(BENIGN_FILE, None)] + [(CATEGORY_FILES[c], c) for c in dict.fromkeys(categories)]
    for name, category in files:
        data = _read(root.joinpath(name).read_text("utf-8"), name)
        entries.extend(parse_entries(data, category, macros, features, name))
    return Lexicon(tuple(entries), features)


def _read(text: str, name: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(text, Loader=loader)
    if not isinstance(data, dict):
        raise LexiconError(f"{name}: a lexicon file is a mapping")
    return data


def _macros(raw: Any, name: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise LexiconError(f"{name}: macros is a mapping of names to lists of phrases")
    macros: dict[str, tuple[str, ...]] = {}
    for key, items in raw.items():
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise LexiconError(f"{name}: macro {key!r} is a list of phrases")
        macros[str(key)] = tuple(items)
    return macros


def _features(raw: Any, name: str) -> dict[str, Feature]:
    if not isinstance(raw, dict):
        raise LexiconError(f"{name}: features is a mapping")
    features: dict[str, Feature] = {}
    for key, spec in raw.items():
        if not isinstance(spec, dict) or spec.get("scope") not in SCOPES:
            raise LexiconError(f"{name}: feature {key!r} needs a scope of {', '.join(SCOPES)}")
        try:
            pattern = re.compile(str(spec["pattern"]))
        except (KeyError, re.error) as error:
            raise LexiconError(f"{name}: feature {key!r}: bad pattern ({error})") from None
        features[str(key)] = Feature(str(key), spec["scope"], int(spec.get("window", 120)), pattern)
    return features


def parse_entries(
    data: Mapping[str, Any],
    category: Category | None,
    macros: Mapping[str, tuple[str, ...]],
    features: Mapping[str, Feature],
    name: str,
) -> list[Entry]:
    """The entries of one file, compiled; `category` None marks the benign file."""
    defaults = data.get("defaults") or {}
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list):
        raise LexiconError(f"{name}: entries is a list")
    prefix = category.value if category is not None else "benign"
    seen: set[str] = set()
    entries = []
    for raw in raw_entries:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise LexiconError(f"{name}: every entry needs an id")
        entry_id = f"{prefix}.{raw['id']}"
        if entry_id in seen:
            raise LexiconError(f"{name}: entry {entry_id!r} repeated")
        seen.add(entry_id)
        where = f"{name}: entry {entry_id!r}"
        phrases = raw.get("phrases")
        if not isinstance(phrases, list) or not phrases:
            raise LexiconError(f"{where}: phrases is a non-empty list")
        severity: Any = 0 if category is None else raw.get("severity")
        try:
            check_severity(severity)
        except ValueError as error:
            raise LexiconError(f"{where}: {error}") from None
        boost = _adjustments({**defaults.get("boost", {}), **raw.get("boost", {})}, features, where)
        damp = _adjustments({**defaults.get("damp", {}), **raw.get("damp", {})}, features, where)
        regexes, anchors = [], set()
        for phrase in phrases:
            regex, first = compile_phrase(str(phrase), macros, where)
            common = sorted(word for word in first if word in COMMON_WORDS or len(word) < 2)
            if common:
                raise LexiconError(
                    f"{where}: phrase {phrase!r} starts with common word(s) {', '.join(common)}"
                )
            regexes.append(regex)
            anchors.update(first)
        pattern = re.compile("(?:" + "|".join(sorted(regexes, key=len, reverse=True)) + r")(?!\w)")
        entries.append(
            Entry(entry_id, category, severity, pattern, frozenset(anchors), boost, damp)
        )
    return entries


def _adjustments(
    raw: Mapping[str, Any], features: Mapping[str, Feature], where: str
) -> tuple[tuple[str, int], ...]:
    pairs = []
    for key, value in raw.items():
        if key not in features:
            raise LexiconError(f"{where}: unknown feature {key!r}")
        if not isinstance(value, int) or not 0 <= value <= 7:
            raise LexiconError(f"{where}: adjustment of {key!r} is 0..7, not {value!r}")
        if value:
            pairs.append((str(key), value))
    return tuple(pairs)


def compile_phrase(
    phrase: str, macros: Mapping[str, tuple[str, ...]], where: str
) -> tuple[str, set[str]]:
    """A phrase as a regex, and the anchor words it can start with."""
    tokens = _split(phrase.strip(), where)
    if not tokens or tokens[0][0] in "[~":
        raise LexiconError(f"{where}: phrase {phrase!r} must start with a word or a choice")
    regex = ""
    anchors: set[str] = set()
    for index, token in enumerate(tokens):
        if token[0] == "[":
            body, _ = _token("{" + token[1:-1] + "}", macros, where, leading=False)
            regex += f"(?:{_SEPARATOR}{body})?"
            continue
        if gap := _GAP.fullmatch(token):
            regex += rf"(?:{_SEPARATOR}\S+){{0,{gap.group(1)}}}"
            continue
        body, first = _token(token, macros, where, index == 0)
        regex += body if index == 0 else _SEPARATOR + body
        if index == 0:
            anchors = first
    return regex, anchors


def _token(
    token: str, macros: Mapping[str, tuple[str, ...]], where: str, leading: bool
) -> tuple[str, set[str]]:
    if token[0] == "{":
        choices = _split_choices(token[1:-1])
    elif token[0] == "@":
        if token[1:] not in macros:
            raise LexiconError(f"{where}: unknown macro {token!r}")
        choices = list(macros[token[1:]])
    else:
        if not _WORD.fullmatch(token):
            raise LexiconError(f"{where}: bad word {token!r}")
        if leading and token.endswith("*"):
            raise LexiconError(f"{where}: the first word {token!r} cannot end with '*'")
        word = re.escape(token[:-1]) + r"\w*" if token.endswith("*") else re.escape(token)
        anchor = first_word(token) if leading else None
        if leading and (anchor is None or not token.startswith(anchor)):
            raise LexiconError(f"{where}: the first word {token!r} must start with a letter")
        return word, {anchor} if anchor else set()
    bodies: list[str] = []
    anchors: set[str] = set()
    for choice in choices:
        body, first = (
            compile_phrase(choice, macros, where) if leading else _sub(choice, macros, where)
        )
        bodies.append(body)
        anchors |= first
    return "(?:" + "|".join(sorted(bodies, key=len, reverse=True)) + ")", anchors


def _sub(phrase: str, macros: Mapping[str, tuple[str, ...]], where: str) -> tuple[str, set[str]]:
    """A choice inside a phrase: any phrase, whose first word may be a wildcard."""
    tokens = _split(phrase.strip(), where)
    if len(tokens) == 1 and tokens[0][0] not in "{@[~":
        body, _ = _token(tokens[0], macros, where, leading=False)
        return body, set()
    return compile_phrase(phrase, macros, where)


def _split(phrase: str, where: str) -> list[str]:
    """Top-level tokens of a phrase: words, {choices}, [optional parts], ~N and @macros."""
    tokens: list[str] = []
    depth, current = 0, ""
    for char in phrase:
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth < 0:
                raise LexiconError(f"{where}: unbalanced brackets in {phrase!r}")
        if char == " " and depth == 0:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    if depth:
        raise LexiconError(f"{where}: unbalanced brackets in {phrase!r}")
    if current:
        tokens.append(current)
    return tokens


def _split_choices(body: str) -> list[str]:
    choices: list[str] = []
    depth, current = 0, ""
    for char in body:
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        if char == "|" and depth == 0:
            choices.append(current)
            current = ""
        else:
            current += char
    choices.append(current)
    return [choice.strip() for choice in choices if choice.strip()]
