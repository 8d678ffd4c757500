"""Blocklists: folded, whole-word terms; validated patterns; spans in the original text."""

from __future__ import annotations

import random
import string

import pytest

from sluicegate.safety.blocklist import MAX_PATTERN_LENGTH, Blocklist, Blocklists
from sluicegate.safety.verdict import DETECTED, Category


def hits(lists: Blocklists, text: str) -> dict[str, list[str]]:
    """List name -> the exact original texts of its spans."""
    return {f.label: [text[s.start : s.end] for s in f.spans] for f in lists(text).findings}


def one(*terms: str, patterns: tuple[str, ...] = ()) -> Blocklists:
    return Blocklists([Blocklist("words", terms, patterns)])


def test_terms_match_after_nfkc_and_case_folding() -> None:
    lists = one("bad", "straße", "ﬁne print")
    assert hits(lists, "so ＢＡＤ!") == {"words": ["ＢＡＤ"]}
    assert hits(lists, "BAD Bad bAd") == {"words": ["BAD", "Bad", "bAd"]}
    assert hits(lists, "die STRASSE und die Straße") == {"words": ["STRASSE", "Straße"]}
    assert hits(lists, "read the fine   print") == {"words": ["fine   print"]}
    assert hits(lists, "read the ﬁne print") == {"words": ["ﬁne print"]}


def test_invisible_characters_do_not_split_a_word() -> None:
    lists = one("bad")
    text = "b\u200bad and b\u00adad and ba\u2060d"
    assert hits(lists, text) == {"words": ["b\u200bad", "b\u00adad", "ba\u2060d"]}


def test_terms_need_word_boundaries() -> None:
    lists = one("bad", "c++", "@evil")
    assert hits(lists, "badly abad bad_word bad2") == {}
    assert hits(lists, "(bad), bad. 'bad'") == {"words": ["bad", "bad", "bad"]}
    assert hits(lists, "bad-word") == {"words": ["bad"]}
    assert hits(lists, "c++ and c++x and c") == {"words": ["c++"]}
    assert hits(lists, "hi @evil, not x@evil") == {"words": ["@evil"]}


def test_lists_report_separately_including_overlapping_terms() -> None:
    lists = Blocklists(
        [
            Blocklist("short", ["bad"]),
            Blocklist("phrase", ["bad word"]),
            Blocklist("inner", ["word"]),
        ]
    )
    verdict = lists("a bad word")
    assert [f.label for f in verdict.findings] == ["short", "phrase", "inner"]
    assert {(f.category, f.severity) for f in verdict.findings} == {(Category.BLOCKLIST, DETECTED)}
    assert hits(lists, "a bad word") == {
        "short": ["bad"],
        "phrase": ["bad word"],
        "inner": ["word"],
    }
    assert hits(lists, "nothing here") == {}


def test_patterns_run_on_folded_text_with_original_spans() -> None:
    lists = one(patterns=(r"project\s+(?:falcon|eagle)", r"\bacme-\d{4}\b"))
    text = "PROJECT   Falcon and Ｐｒｏｊｅｃｔ Eagle; ACME-2024 not acme-20245"
    assert hits(lists, text) == {"words": ["PROJECT   Falcon", "Ｐｒｏｊｅｃｔ Eagle", "ACME-2024"]}


def test_spans_map_back_through_length_changes() -> None:
    lists = one("ss", "fine")
    text = "ß ﬁne"
    assert hits(lists, text) == {"words": ["ß", "ﬁne"]}
    emoji = "😀😀 fine 😀"
    assert hits(lists, emoji) == {"words": ["fine"]}


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        (["("], r"blocklist 'words': pattern '\(' is not a valid regular expression"),
        (["[a-"], r"pattern '\[a-' is not a valid regular expression"),
        (["(a+)+$"], r"pattern '\(a\+\)\+\$' repeats something that itself repeats"),
        (["(.*)*x"], "exponential time"),
        (["(?:\\w+\\s?)*!"], "possessive"),
        (["a*"], "matches the empty string"),
        (["x" * (MAX_PATTERN_LENGTH + 1)], f"longer than {MAX_PATTERN_LENGTH}"),
        ([""], "must not be empty"),
    ],
)
def test_bad_patterns_are_refused_naming_list_and_pattern(
    patterns: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Blocklist("words", patterns=patterns)


def test_safe_forms_of_nested_repeats_are_accepted() -> None:
    Blocklist("ok", patterns=[r"(a++)+b", r"(?>a+)+b", r"(\w+ ){1,3}end", r"(ab)+c"])


def test_bad_terms_and_names_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        Blocklist("words", ["ok", "   "])
    with pytest.raises(ValueError, match="longer than 200"):
        Blocklist("words", ["x" * 201])
    with pytest.raises(ValueError, match="a list of strings, not one string"):
        Blocklist("words", "bad")
    with pytest.raises(ValueError, match="blocklist name"):
        Blocklist("bad name!", ["x"])
    with pytest.raises(ValueError, match="names must differ: twice"):
        Blocklists([Blocklist("twice", ["a"]), Blocklist("twice", ["b"])])


def test_terms_are_kept_folded_and_once() -> None:
    blocklist = Blocklist("words", ["Bad", "BAD", " bad  word ", "ＢＡＤ"])
    assert blocklist.terms == ("bad", "bad word")


def test_five_thousand_terms_find_exactly_the_planted_ones() -> None:
    rng = random.Random(3)
    terms = [
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(6, 10)))
        for _ in range(5000)
    ]
    lists = one(*terms)
    planted = [terms[10], terms[2500], terms[4999]]
    text = f"start {planted[0].upper()} middle {planted[1]}, end {planted[2]}."
    assert hits(lists, text) == {"words": [planted[0].upper(), planted[1], planted[2]]}
    assert hits(lists, "the quick brown fox jumps over the lazy dog " * 50) == {}


def test_empty_lists_and_no_lists_are_clean() -> None:
    assert not Blocklists([])("anything")
    assert not Blocklists([Blocklist("empty")])("anything")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\ud800",
        "bad \udfff bad",
        "\x00bad\x01 \x1b[0mbad",
        "bad " * 250_000,
        "x" * 1_000_000,
        "ＢＡＤ" * 200_000,
        "é\u0301" * 300_000,
    ],
)
def test_hostile_input_never_raises(text: str) -> None:
    lists = Blocklists([Blocklist("words", ["bad", "bad word"], [r"ba+d\b"])])
    lists(text)


def test_one_megabyte_text_spans_are_exact() -> None:
    text = "clean filler words here. " * 40_000 + "then ＢＡＤ word" + " ok" * 10
    assert hits(one("bad word"), text) == {"words": ["ＢＡＤ word"]}
