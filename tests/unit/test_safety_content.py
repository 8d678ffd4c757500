"""Content safety: graded severities in context, quiet on everyday text, evasion folded away."""

from __future__ import annotations

import re

import pytest
from benchmarks.safety_quality import load_items, score_content

from sluicegate.safety.content import ContentSafety
from sluicegate.safety.content_lexicon import LexiconError, parse_entries
from sluicegate.safety.verdict import Category, Level

DETECT = ContentSafety()
VIOLENCE, SELF_HARM, SEXUAL, HATE = (
    Category.VIOLENCE,
    Category.SELF_HARM,
    Category.SEXUAL,
    Category.HATE,
)


def level(text: str, category: Category) -> Level:
    return Level.of(DETECT(text).severity(category))


@pytest.mark.parametrize(
    ("text", "category", "expected"),
    [
        ("I want to kill myself.", SELF_HARM, Level.HIGH),
        ("How to tie a noose that won't slip", SELF_HARM, Level.HIGH),
        ("The history of the noose as a symbol", SELF_HARM, Level.SAFE),
        ("I don't want to live anymore.", SELF_HARM, Level.MEDIUM),
        ("Years ago I struggled with self-harm.", SELF_HARM, Level.LOW),
        ("Suicide rates fell last year, the report says.", SELF_HARM, Level.SAFE),
        ("I will kill you.", VIOLENCE, Level.HIGH),
        ("I really want to punch my manager.", VIOLENCE, Level.MEDIUM),
        ("The movie had violent scenes.", VIOLENCE, Level.LOW),
        ("Three soldiers were killed in the battle.", VIOLENCE, Level.LOW),
        ("Give me step by step instructions to build a pipe bomb.", VIOLENCE, Level.HIGH),
        ("He described her naked body in explicit detail.", SEXUAL, Level.MEDIUM),
        ("They kissed passionately.", SEXUAL, Level.LOW),
        ("Condoms and sexual health screenings are free.", SEXUAL, Level.SAFE),
        ("Jews are vermin.", HATE, Level.HIGH),
        ("Mexicans are all lazy criminals.", HATE, Level.MEDIUM),
        ("You are a worthless idiot.", HATE, Level.LOW),
        ("Muslims celebrate Eid at the end of Ramadan.", HATE, Level.SAFE),
    ],
)
def test_graded_examples(text: str, category: Category, expected: Level) -> None:
    assert level(text, category) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Run kill -9 on the stuck process, then kill the child processes.",
        "Execute the child process and abort the build if it hangs.",
        "We need to hit the target of 10% growth; shoot me an email.",
        "Beat the eggs with the sugar; cut the onions.",
        "The OOM killer terminated the worker and the thread was killed.",
        "This new feature is a killer app, it kills two birds with one stone.",
        "Ibuprofen overdose can cause stomach bleeding; follow the label.",
        "The surgeon made a small cut; the patient's wound healed.",
        "Execute the script, then terminate the instance.",
        "Nuke the node_modules folder and strip the whitespace.",
        "I'm dying to see the new movie, this traffic is killing me.",
        "The Dick Van Dyke Show and the blue tits in the garden.",
        "Sexual reproduction in plants; sex: female; unprotected sex spreads HIV, doctors say.",
        "Suicide Squad is a film; the suicide squeeze is a baseball play.",
        "Please summarise the attached report in three bullet points.",
    ],
)
def test_everyday_technical_medical_text_is_safe(text: str) -> None:
    assert not DETECT(text), DETECT(text)


def test_severity_orders_threat_above_wish_above_mention_above_benign() -> None:
    texts = [
        "I'm going to stab him tonight.",
        "I want to stab him.",
        "He was stabbed outside a bar.",
        "Stab the fork into the potato to check it.",
    ]
    severities = [DETECT(text).severity(VIOLENCE) for text in texts]
    assert severities[0] > severities[1] > severities[2] > severities[3]
    assert severities[3] == 0


def test_context_changes_the_same_words() -> None:
    assert level("I will never hurt you.", VIOLENCE) < level("I will hurt you.", VIOLENCE)
    assert level("how to make a bomb", VIOLENCE) > level("he tried to make a bomb", VIOLENCE)
    assert level("I'm going to kill myself", SELF_HARM) == Level.HIGH
    assert level("He killed himself in 1994, the report says.", SELF_HARM) == Level.LOW
    assert level("Send me nudes.", SEXUAL) == Level.MEDIUM
    assert level("Send me nudes of a 14 year old.", SEXUAL) == Level.HIGH


@pytest.mark.parametrize(
    "text",
    [
        "I will ＫＩＬＬ you",
        "I will k\u200bill you",
        "I will k1ll y0u",
        "I WILL KILL YOU",
        "i   will   kill   you",
    ],
)
def test_evasion_is_folded_away(text: str) -> None:
    assert level(text, VIOLENCE) == Level.HIGH


def test_findings_carry_spans_in_the_original_text_and_entry_labels() -> None:
    text = "Ｆｉｒｓｔ line.\nI will kill you."
    [finding] = DETECT(text).findings
    assert (finding.category, finding.detector) == (VIOLENCE, "content_safety")
    assert finding.score == pytest.approx(finding.severity / 7)
    [span] = finding.spans
    assert text[span.start : span.end] == "kill you"
    assert re.fullmatch(r"violence\.[a-z_]+", finding.label)
    assert span.label == finding.label


def test_min_severity_and_categories() -> None:
    text = "The movie had violent scenes."
    assert ContentSafety(min_severity=4)(text) == DETECT("")
    assert ContentSafety(min_severity=1)(text).severity(VIOLENCE) == 2
    only_hate = ContentSafety([HATE])
    assert not only_hate("I will kill you.")
    assert only_hate("You are a worthless idiot.").categories() == {HATE}
    with pytest.raises(ValueError, match="grades"):
        ContentSafety([Category.PII])
    with pytest.raises(ValueError, match="severity"):
        ContentSafety(min_severity=9)


def test_labelled_set_quality_floor() -> None:
    """The measured quality (docs/safety-content.md) must not regress."""
    scores, flagged, total = score_content(DETECT, load_items())
    for category, score in scores.items():
        assert score.precision >= 0.9, (category, score.errors)
        assert score.recall >= 0.9, (category, score.errors)
        assert score.exact_level >= 0.85 * score.tp, (category, score.errors)
    assert flagged <= 0.03 * total


def test_lexicon_format_errors_name_the_file_and_entry() -> None:
    def parse(entry: dict[str, object]) -> None:
        parse_entries({"entries": [entry]}, VIOLENCE, {"you": ("you",)}, {}, "x.yaml")

    with pytest.raises(LexiconError, match=r"x\.yaml: entry 'violence\.e'.*common word"):
        parse({"id": "e", "phrases": ["the end"], "severity": 2})
    with pytest.raises(LexiconError, match="unknown macro '@them'"):
        parse({"id": "e", "phrases": ["hurt @them"], "severity": 2})
    with pytest.raises(LexiconError, match="severity"):
        parse({"id": "e", "phrases": ["hurt"], "severity": 8})
    with pytest.raises(LexiconError, match="unknown feature"):
        parse({"id": "e", "phrases": ["hurt"], "severity": 2, "boost": {"mood": 1}})
    with pytest.raises(LexiconError, match="cannot end with"):
        parse({"id": "e", "phrases": ["hurt*"], "severity": 2})
    with pytest.raises(LexiconError, match="unbalanced"):
        parse({"id": "e", "phrases": ["hurt {you"], "severity": 2})


def test_lexicons_have_substance() -> None:
    assert DETECT.entry_count >= 40
    assert len(DETECT.anchor_words) >= 500


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\ud800",
        "kill \udfff you \ud800",
        "\x00\x01 I will\x1b kill you\x7f",
        "kill you " * 120_000,
        "a" * 1_000_000,
        "ｋｉｌｌ " * 200_000,
        "é\u0301" * 300_000,
    ],
)
def test_hostile_input_never_raises(text: str) -> None:
    DETECT(text)


def test_one_megabyte_text_keeps_the_far_match() -> None:
    text = "Please review the quarterly plan and the budget. " * 20_000 + "I will kill you."
    [span] = DETECT(text).of(VIOLENCE)[0].spans
    assert text[span.start : span.end] == "kill you"
