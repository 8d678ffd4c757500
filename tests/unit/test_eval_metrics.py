"""The reference and format evaluators, on cases computed by hand (or published values)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sluicegate.evals.evaluator import EvalItem
from sluicegate.evals.evaluators.bleu import SentenceBleu, sentence_bleu
from sluicegate.evals.evaluators.embedding import EmbeddingSimilarity, cosine
from sluicegate.evals.evaluators.errors import EvaluatorSpecError
from sluicegate.evals.evaluators.exact_match import ExactMatch
from sluicegate.evals.evaluators.json_schema import JsonSchemaMatch, load_schema_file
from sluicegate.evals.evaluators.json_valid import JsonValid, unfence
from sluicegate.evals.evaluators.normalize import normalize, squad_normalize
from sluicegate.evals.evaluators.pattern import RegexMatch
from sluicegate.evals.evaluators.rouge_l import RougeL, lcs_length, rouge_l
from sluicegate.evals.evaluators.token_f1 import TokenF1, token_f1


def item(expected: str | None = None, **metadata: object) -> EvalItem:
    return EvalItem(id="q1", inputs={"question": "?"}, expected=expected, metadata=metadata)


# --- normalisation and exact match ------------------------------------------------------------


def test_squad_normalisation_follows_the_official_steps() -> None:
    # lower → punctuation out → articles out (whole words only) → single spaces
    assert squad_normalize("The  Cat, an APPLE & a theme!") == "cat apple theme"
    assert squad_normalize("  Anne's   answer.") == "annes answer"


def test_normalisation_options_apply_only_when_chosen() -> None:
    text = "  Hello,\n  World!  "
    assert normalize(text, ()) == "Hello,\n  World!"
    assert normalize(text, ("case",)) == "hello,\n  world!"
    assert normalize(text, ("whitespace",)) == "Hello, World!"
    assert normalize(text, ("punctuation", "case", "whitespace")) == "hello world"
    assert normalize("Straße «quoted»", ("case", "punctuation")) == "strasse quoted"


async def test_exact_match_with_and_without_normalisation() -> None:
    strict = ExactMatch()
    loose = ExactMatch("exact:case+whitespace", ("case", "whitespace"))
    paris = item("Paris")
    assert (await strict.evaluate(paris, "Paris\n")).passed is True  # surrounding space ignored
    assert (await strict.evaluate(paris, "paris")).passed is False
    score = await loose.evaluate(paris, "  PARIS ")
    assert (score.passed, score.value, score.metric) == (True, 1.0, "exact:case+whitespace")
    assert (await loose.evaluate(paris, "Paris.")).passed is False  # punctuation still counts
    assert strict.kind == "pass_fail"


async def test_exact_match_takes_any_reference_and_skips_items_without_one() -> None:
    ev = ExactMatch()
    several = item("Paris", references=["Paris, France", 3, "City of Light"])
    assert (await ev.evaluate(several, "City of Light")).passed is True
    missing = await ev.evaluate(item(None), "Paris")
    assert missing.value is None
    assert missing.passed is None
    assert "no expected answer" in (missing.reason or "")


# --- token F1 ---------------------------------------------------------------------------------


def test_token_f1_by_hand() -> None:
    # "the cat sat" → [cat, sat]; "a cat sat down" → [cat, sat, down]; common = 2
    # precision = 2/2 = 1, recall = 2/3, F1 = 2·1·(2/3) / (1 + 2/3) = 0.8
    assert token_f1("the cat sat", "a cat sat down") == pytest.approx(0.8)
    # multiset overlap: answer [cat, cat, cat] vs [cat, dog]: common = min(3, 1) = 1
    # precision 1/3, recall 1/2 → F1 = 2·(1/6)/(5/6) = 0.4
    assert token_f1("cat cat cat", "cat dog") == pytest.approx(0.4)
    assert token_f1("Paris!", "paris") == 1.0
    assert token_f1("London", "Paris") == 0.0
    assert token_f1("the", "a") == 1.0  # both normalise to nothing
    assert token_f1("", "Paris") == 0.0


async def test_token_f1_takes_the_best_reference() -> None:
    ev = TokenF1()
    score = await ev.evaluate(item("a dog", references=["the cat sat down"]), "the cat sat")
    # vs "a dog": 0; vs "the cat sat down": [cat, sat] vs [cat, sat, down] = 0.8
    assert score.value == pytest.approx(0.8)
    assert (ev.kind, score.passed) == ("score", None)


# --- regex ------------------------------------------------------------------------------------


async def test_regex_searches_by_default_and_full_match_needs_all() -> None:
    search = RegexMatch("regex", r"\d+")
    full = RegexMatch("regex_full", r"\d+", full=True)
    assert (await search.evaluate(item(), "It is 42.")).passed is True
    assert (await full.evaluate(item(), "It is 42.")).passed is False
    assert (await full.evaluate(item(), " 42\n")).passed is True  # stripped first
    assert (await RegexMatch("r", r"(?i)^yes\b").evaluate(item(), "YES, sure")).passed is True


async def test_regex_pattern_from_item_metadata() -> None:
    ev = RegexMatch()
    assert (await ev.evaluate(item(regex=r"^[A-Z]{3}$"), "ABC")).passed is True
    assert (await ev.evaluate(item(regex=r"^[A-Z]{3}$"), "ABCD")).passed is False
    no_pattern = await ev.evaluate(item(), "ABC")
    assert no_pattern.value is None
    assert "metadata.regex" in (no_pattern.reason or "")
    broken = await ev.evaluate(item(regex="("), "ABC")
    assert broken.value is None
    assert "invalid pattern" in (broken.reason or "")


def test_regex_spec_error_is_readable() -> None:
    with pytest.raises(EvaluatorSpecError, match="invalid regular expression"):
        RegexMatch("r", "([a-z]")


# --- JSON and JSON schema ---------------------------------------------------------------------


async def test_json_validity_accepts_a_lone_fence_only() -> None:
    ev = JsonValid()
    assert (await ev.evaluate(item(), '{"a": 1}')).passed is True
    assert (await ev.evaluate(item(), '```json\n{"a": 1}\n```')).passed is True
    assert (await ev.evaluate(item(), "```\n[1, 2]\n```\n")).passed is True
    prose = await ev.evaluate(item(), 'Here it is:\n```json\n{"a": 1}\n```')
    assert prose.passed is False
    assert "not JSON" in (prose.reason or "")
    assert (await ev.evaluate(item(), "{'a': 1}")).passed is False
    assert (await ev.evaluate(item(), "NaN")).passed is False
    assert (await ev.evaluate(item(), "")).passed is False
    assert unfence("```JSON\n{}\n```") == "{}"


SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name"],
}


async def test_json_schema_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "person.json"
    path.write_text(
        '{"type": "object", "required": ["name"], "properties": '
        '{"age": {"type": "integer", "minimum": 0}}}'
    )
    ev = JsonSchemaMatch("json_schema", load_schema_file(path))
    assert (await ev.evaluate(item(), '```json\n{"name": "Ada", "age": 36}\n```')).passed
    too_young = await ev.evaluate(item(), '{"name": "Ada", "age": -1}')
    assert too_young.passed is False
    assert "-1 is less than the minimum of 0" in (too_young.reason or "")
    assert "/age" in (too_young.reason or "")
    not_json = await ev.evaluate(item(), "name: Ada")
    assert not_json.passed is False
    assert "not JSON" in (not_json.reason or "")


def test_json_schema_file_errors_are_readable(tmp_path: Path) -> None:
    with pytest.raises(EvaluatorSpecError, match="cannot read JSON schema"):
        load_schema_file(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(EvaluatorSpecError, match="does not parse"):
        load_schema_file(bad)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("type: 12\n")
    with pytest.raises(EvaluatorSpecError, match="not a valid JSON schema"):
        load_schema_file(wrong)
    good = tmp_path / "good.yml"
    good.write_text("type: array\nitems: {type: integer}\n")
    assert load_schema_file(good).is_valid([1, 2])


async def test_json_schema_from_item_metadata() -> None:
    ev = JsonSchemaMatch()
    assert (await ev.evaluate(item(json_schema=SCHEMA), '{"name": "Ada"}')).passed is True
    as_text = item(json_schema='{"type": "array"}')
    assert (await ev.evaluate(as_text, "{}")).passed is False
    none = await ev.evaluate(item(), "{}")
    assert none.value is None
    assert "no schema" in (none.reason or "")
    invalid = await ev.evaluate(item(json_schema={"type": "nope"}), "{}")
    assert invalid.value is None
    assert "not a valid JSON schema" in (invalid.reason or "")


# --- BLEU -------------------------------------------------------------------------------------


def test_sentence_bleu_by_hand() -> None:
    # answer "the cat sat on the mat", reference "the cat is on the mat" (both 6 tokens, BP = 1)
    # 1-grams 5/6 (the×2, cat, on, mat); 2-grams 3/5 (the cat, on the, the mat);
    # 3-grams 1/4 (on the mat); 4-grams 0/3 → exp smoothing, first zero: 1/(2·3) = 1/6
    # BLEU = 100 · (5/6 · 3/5 · 1/4 · 1/6)^(1/4) = 100 · (1/48)^(1/4) = 37.99
    expected = 100 * (5 / 6 * 3 / 5 * 1 / 4 * 1 / 6) ** 0.25
    assert sentence_bleu("the cat sat on the mat", ["the cat is on the mat"]) == pytest.approx(
        expected
    )
    assert expected == pytest.approx(37.99, abs=0.005)


def test_sentence_bleu_brevity_penalty_and_effective_order() -> None:
    # "the cat" vs a 6-token reference: p1 = p2 = 1 (no 3- or 4-grams: effective order 2),
    # BP = exp(1 − 6/2) = e^-2 → 13.53
    assert sentence_bleu("the cat", ["the cat sat on the mat"]) == pytest.approx(100 * math.exp(-2))
    assert sentence_bleu("the cat sat on the mat", ["the cat sat on the mat"]) == pytest.approx(
        100.0
    )
    assert sentence_bleu("dog", ["the cat sat on the mat"]) == 0.0


async def test_bleu_uses_every_reference_at_once() -> None:
    # clipped counts against both references: 6/6, 5/5, 3/4, 2/3 → 100 · (1/2)^(1/4) = 84.09
    ev = SentenceBleu()
    score = await ev.evaluate(
        item("the cat is on the mat", references=["a cat sat on the mat"]),
        "the cat sat on the mat",
    )
    assert score.value == pytest.approx(100 * 0.5**0.25)
    assert (await ev.evaluate(item(None), "x")).value is None


# --- ROUGE-L ----------------------------------------------------------------------------------


def test_lcs_length() -> None:
    assert lcs_length(list("ABCBDAB"), list("BDCABA")) == 4  # CLRS: BCBA
    assert lcs_length([], ["a"]) == 0


def test_rouge_l_matches_the_published_example() -> None:
    # Lin (2004), §3.1: reference "police killed the gunman";
    # "police kill the gunman" has LCS 3 of 4 → 0.75, "the gunman kill police" LCS 2 → 0.5.
    assert rouge_l("police kill the gunman", "police killed the gunman") == pytest.approx(0.75)
    assert rouge_l("the gunman kill police", "police killed the gunman") == pytest.approx(0.5)


def test_rouge_l_by_hand() -> None:
    # answer "the cat was found under the mat" (7), reference "the cat sat on the mat" (6):
    # LCS "the cat the mat" = 4 → P = 4/7, R = 4/6, F = 2PR/(P+R) = 8/13
    got = rouge_l("the cat was found under the mat", "the cat sat on the mat")
    assert got == pytest.approx(8 / 13)
    # tokens are lowercased letter/digit runs: "Hello, World! 42" → [hello, world, 42]
    # against [hello, world]: P = 1, R = 2/3 → F = 0.8
    assert rouge_l("hello world", "Hello, World! 42") == pytest.approx(0.8)
    assert rouge_l("", "anything") == 0.0


async def test_rouge_l_evaluator() -> None:
    score = await RougeL().evaluate(item("police killed the gunman"), "police kill the gunman")
    assert score.value == pytest.approx(0.75)


# --- embedding similarity ---------------------------------------------------------------------


def test_cosine() -> None:
    assert cosine([1.0, 0.0], [0.0, 2.0]) == 0.0
    assert cosine([1.0, 1.0], [2.0, 2.0]) == pytest.approx(1.0)
    assert cosine([1.0, 0.0], [-3.0, 0.0]) == pytest.approx(-1.0)
    # (3, 4)·(4, 3) = 24, |a||b| = 25
    assert cosine([3.0, 4.0], [4.0, 3.0]) == pytest.approx(0.96)
    assert cosine([0.0, 0.0], [1.0, 0.0]) is None
    with pytest.raises(ValueError, match="length"):
        cosine([1.0], [1.0, 2.0])


async def test_embedding_similarity_calls_embed_once_per_item() -> None:
    table = {"answer": [3.0, 4.0], "ref one": [4.0, 3.0], "ref two": [0.0, 1.0], "zero": [0.0, 0.0]}
    calls: list[list[str]] = []

    async def embed(texts: list[str]) -> list[list[float]]:
        calls.append(texts)
        return [table[t] for t in texts]

    ev = EmbeddingSimilarity(embed)
    score = await ev.evaluate(item("ref one", references=["ref two"]), "answer")
    assert calls == [["answer", "ref one", "ref two"]]
    assert score.value == pytest.approx(0.96)  # max(0.96, 0.8)
    zero = await ev.evaluate(item("zero"), "answer")
    assert zero.value is None
    assert "zero vector" in (zero.reason or "")
    assert (await ev.evaluate(item(None), "answer")).value is None
    assert len(calls) == 2  # no call without a reference


async def test_embedding_similarity_with_a_short_reply() -> None:
    async def embed(texts: list[str]) -> list[list[float]]:
        return [[1.0]]

    score = await EmbeddingSimilarity(embed).evaluate(item("x"), "y")
    assert score.value is None
    assert "returned 1 vectors for 2 texts" in (score.reason or "")
