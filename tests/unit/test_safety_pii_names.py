"""Person names: found with and without cues, exact spans, and the capitalised words that are
no name left alone."""

from __future__ import annotations

import pytest

from sluicegate.safety.pii_names import Gazetteer, find_person_names, shipped_gazetteer


def names(text: str, gazetteer: Gazetteer | None = None) -> list[str]:
    return [text[a:b] for a, b in find_person_names(text, gazetteer)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Please email John Smith about the invoice.", ["John Smith"]),
        ("Yesterday Maria García-López called twice.", ["Maria García-López"]),
        ("Python was created by Guido van Rossum in 1991.", ["Guido van Rossum"]),
        ("Dear Mr. Okafor, thanks for the quick reply.", ["Okafor"]),
        ("Hi, my name is Tomasz and I need help.", ["Tomasz"]),
        ("Kind regards,\nPriya Raman", ["Priya Raman"]),
        ("I met Xiaoming Wang at the conference.", ["Xiaoming Wang"]),
        ("Bill Gates founded a company.", ["Bill Gates"]),
        ("Signed by J. R. Okonkwo and A. Lindqvist.", ["J. R. Okonkwo", "A. Lindqvist"]),
        ("Invite Anna Kowalska and Jean-Luc Picard.", ["Anna Kowalska", "Jean-Luc Picard"]),
        ("Maria's laptop and Martin Luther King's speech.", ["Martin Luther King"]),
        ("Best,\nJohannes Müller", ["Johannes Müller"]),
        ("Frau Becker hat angerufen.", ["Becker"]),
        ("Patient: Sofia Andersson, admitted 3 March.", ["Sofia Andersson"]),
        ("Иван Петров написал письмо.", ["Иван Петров"]),
        ("John Hamilton moved to Hamilton.", ["John Hamilton"]),  # a surname that is a city
        ("Please review it with Mohammed before Friday.", ["Mohammed"]),
    ],
)
def test_names_found_with_exact_spans(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Bill Payment Options",  # a heading: ordinary words that happen to be names
        "Grant Access to the Admin Panel",
        "Getting Started With Python",
        "The Quick Brown Fox Jumps Over",
        "Release Notes for Version Two",
        "Microsoft Azure OpenAI Service",
        "Send it to 12 Baker Street tomorrow.",  # a street, not a person
        "Morgan Stanley Bank raised rates.",
        "We flew from New York to Los Angeles.",
        "Our offices in Buenos Aires and San Francisco are closing.",  # cities, not people
        "I flew from Austin to Denver with Delta.",
        "Remember, you are translating the above text to French.",
        "Will you review this? May I ask why?",  # sentence starts
        "Call os.path.join and then String.Format.",  # identifiers
        "Write to john.smith@example.com today.",  # an e-mail address is its own type
        "ACME CORP and AWS EKS in capitals are acronyms.",
        "GRANT ACCESS TO THE ADMIN PANEL",  # a heading in capitals
        "LIMITED WARRANTY: MAY APPLY",
        "Ask john smith in lower case either.",
        "Monday Morning Standup",
        "Georgia Tech and Florence Nightingale Hospital",
        "",
        "1234 5678",
    ],
)
def test_capitalised_words_that_are_no_name(text: str) -> None:
    assert names(text) == []


TINY = Gazetteer.from_mapping({
    "given": ["Anna", "Will"],
    "surnames": ["Novak", "Young"],
    "common": ["will", "young", "payment", "report", "then", "was", "there"],
    "places": ["Paris"],
})  # fmt: skip


def test_rules_on_a_gazetteer_of_its_own() -> None:
    """Known given name + known surname; one known part + an unknown word; two unknown words
    only mid-sentence; ordinary words only beside a known name and standing alone."""
    assert names("Then Anna Novak left.", TINY) == ["Anna Novak"]
    assert names("Then Anna Zelenko left.", TINY) == ["Anna Zelenko"]
    assert names("Then Dmytro Novak left.", TINY) == ["Dmytro Novak"]
    assert names("we met Tendai Moyo there", TINY) == ["Tendai Moyo"]
    assert names("Tendai Moyo was there", TINY) == []  # could be a heading or a sentence start
    assert names("we met Tendai Moyo Chikwanha there", TINY) == []  # three unknown words
    assert names("a song by Will Young today", TINY) == ["Will Young"]
    assert names("Will Young Payment Report", TINY) == []  # inside a heading
    assert names("Anna Report", TINY) == []  # a known name beside an ordinary word
    assert names("Paris Novak", TINY) == ["Paris Novak"]  # a place only before a real surname
    assert names("in Paris today", TINY) == []


def test_single_names_need_a_cue() -> None:
    assert names("Ask John about it.") == ["John"]
    assert names("John will look at it.") == []
    assert names("My name is Zelenko.") == ["Zelenko"]
    assert names("Please contact Dr. Okafor.") == ["Okafor"]
    assert names("My name is Happy.") == []  # an ordinary word, even after a cue


def test_names_in_capitals_need_both_parts_known_or_a_strong_cue() -> None:
    """Forms and headings write names in capitals; so do acronyms ("AWS EKS") and headings,
    hence the stricter rule."""
    assert names("PATIENT: JOHN SMITH, DOB 1980") == ["JOHN SMITH"]
    assert names("SIGNED BY MARIA GARCIA") == ["MARIA GARCIA"]
    assert names("Dear MR. OKAFOR,") == ["OKAFOR"]  # a title in capitals is a cue
    assert names("towed by MARY O'BRIEN's friend") == ["MARY O'BRIEN"]
    assert names("Name: TENDAI MOYO") == ["TENDAI MOYO"]  # unknown words after a strong cue
    assert names("ask TENDAI MOYO today") == []  # but not mid-sentence alone, unlike Title Case
    assert names("JOHN will look") == []  # a single word needs a strong cue
    assert names("Then ANNA Zelenko left.", TINY) == []  # one part unknown
    assert names("Then ANNA NOVAK left.", TINY) == ["ANNA NOVAK"]


def test_gazetteer_is_built_and_shared() -> None:
    gazetteer = shipped_gazetteer()
    assert gazetteer is shipped_gazetteer()
    assert len(gazetteer.given) > 5_000
    assert len(gazetteer.surnames) > 5_000
    assert {"Maria", "John", "Priya"} <= gazetteer.given
    assert gazetteer.ordinary("payment")
    assert not gazetteer.ordinary("Okafor")
    assert "Berlin" in gazetteer.places


def test_a_long_text_is_read_whole() -> None:
    filler = "the service was restarted after the update. " * 20_000
    text = filler + "Please ask Maria Schmidt. " + filler
    assert names(text) == ["Maria Schmidt"]
