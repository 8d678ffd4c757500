"""Street addresses: the shapes of several countries found whole, numbers beside capitalised
words left alone; and how names and addresses join the other PII types."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluicegate.safety.pii import DEFAULT_TYPES, OPT_IN_TYPES, PII_TYPES, PiiDetector
from sluicegate.safety.pii_addresses import find_street_addresses
from sluicegate.safety.redact import digest, redact
from sluicegate.safety.stream_guard import StreamGuard
from sluicegate.safety.verdict import Category

NAMES_AND_ADDRESSES = PiiDetector(sorted(OPT_IN_TYPES))


def addresses(text: str) -> list[str]:
    return [text[a:b] for a, b in find_street_addresses(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ship it to 1600 Amphitheatre Parkway, Mountain View, CA 94043 please.",
         "1600 Amphitheatre Parkway, Mountain View, CA 94043"),
        ("I live at 12 Baker Street, London NW1 6XE.", "12 Baker Street, London NW1 6XE"),
        ("Office: 221B Baker St., Suite 4", "221B Baker St., Suite 4"),
        ("Send it to 743 Rachel Burgs, North Debratown, FM 50466.",
         "743 Rachel Burgs, North Debratown, FM 50466"),
        ("Flat 3, Abbie Forest, Glenville, W7 5DS", "Flat 3, Abbie Forest, Glenville, W7 5DS"),
        ("17 Kennedy Laneway, East Tony, VIC, 2609", "17 Kennedy Laneway, East Tony, VIC, 2609"),
        ("Bitte an Hauptstraße 5, 10115 Berlin schicken.", "Hauptstraße 5, 10115 Berlin"),
        ("Murat-Heinrich-Allee 77a", "Murat-Heinrich-Allee 77a"),
        ("Keizersgracht 123, 1015 CJ Amsterdam", "Keizersgracht 123, 1015 CJ Amsterdam"),
        ("Kyanopad 74, 3681 OU Luinjeberd", "Kyanopad 74, 3681 OU"),
        ("J'habite au 12, rue de la Paix, 75002 Paris.", "12, rue de la Paix, 75002 Paris"),
        ("Calle Mayor 5, 28013 Madrid", "Calle Mayor 5, 28013 Madrid"),
        ("Rua Augusta, 100", "Rua Augusta, 100"),
        ("Meet at Via Roma 10.", "Via Roma 10"),
        ("Write to P.O. Box 1234 instead.", "P.O. Box 1234"),
    ],
)  # fmt: skip
def test_addresses_found_whole(text: str, expected: str) -> None:
    assert addresses(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "Baker Street is a famous street.",  # no number
        "Spring 2024 release notes",
        "Add 2 route handlers and 3 Main Points.",
        "Via Slack 3 people joined the call.",
        "Chapter 3 Section Two covers it.",
        "We sold 40 units in Q3 2024 and 12 Street Fighter games.",
        "Python 3.11 String methods",
        "Open Notepad 2 and Launchpad 5 side by side.",
        "Order 12345 shipped on 2024-05-01.",
        "",
    ],
)
def test_numbers_beside_capitalised_words_are_no_address(text: str) -> None:
    assert addresses(text) == []


def test_two_shapes_over_one_address_give_one_span() -> None:
    text = "34 Marsh Walk, Emilyhaven, OX58 9JP"
    assert addresses(text) == [text]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_hostile_text_never_raises_and_spans_are_inside(text: str) -> None:
    """Both opt-in finders, through the detector the gateway runs."""
    for finding in NAMES_AND_ADDRESSES(text).findings:
        for span in finding.spans:
            assert 0 <= span.start < span.end <= len(text)


def test_names_and_addresses_are_opt_in() -> None:
    text = "Please send Maria Schmidt's parcel to 12 Baker Street, London NW1 6XE."
    assert {"person_name", "street_address"} == OPT_IN_TYPES
    assert set(DEFAULT_TYPES) == set(PII_TYPES) - OPT_IN_TYPES
    assert PiiDetector()(text).findings == ()
    verdict = PiiDetector([*DEFAULT_TYPES, *OPT_IN_TYPES])(text)
    spans = {f.label: [text[s.start : s.end] for s in f.spans] for f in verdict.findings}
    assert spans == {
        "person_name": ["Maria Schmidt"],
        "street_address": ["12 Baker Street, London NW1 6XE"],
    }
    assert all(f.category is Category.PII for f in verdict.findings)
    assert redact(text, verdict) == "Please send [PERSON_NAME]'s parcel to [STREET_ADDRESS]."


def test_a_name_inside_an_email_or_an_address_is_not_reported_twice() -> None:
    detector = PiiDetector(["email", "person_name", "street_address"])
    text = "Mail Anna.Novak@example.com or visit 5 Anna Novak Street, Leeds LS1 4AP."
    labels = [f.label for f in detector(text).findings]
    assert labels == ["email", "street_address"]


def test_hash_tokens_ignore_case() -> None:
    assert digest("Maria Schmidt", "person_name") == digest("MARIA SCHMIDT", "person_name")
    assert digest("Maria Schmidt", "person_name") != digest("Maria Schmitt", "person_name")


def test_a_streamed_name_split_across_chunks_is_redacted_whole() -> None:
    detector = PiiDetector(["person_name"])
    guard = StreamGuard(
        detector,
        hold_back=24,
        blocks=lambda finding: False,
        redacts=lambda finding: finding.category is Category.PII,
        word_safe=True,
    )
    text = ""
    released: list[int] = []
    for piece in ("The report was written by Mar", "ia Sch", "midt and sent ", "on Friday."):
        text += piece
        released.append(guard.feed(piece).release_to)
    guard.finish()
    assert [text[s.start : s.end] for s in guard.redactions] == ["Maria Schmidt"]
    start = text.index("Maria")
    assert all(r <= start or r >= start + len("Maria Schmidt") for r in released)
