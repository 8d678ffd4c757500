"""The shipped person-name gazetteer is what its build script makes, and the quality report's
scoring counts what it says it counts."""

from __future__ import annotations

from training.pii_gazetteer import build, common_words, read
from training.pii_names_report import Case, _address_case, _fill, _found

from sluicegate.safety.pii_names import GAZETTEER_PATH


def test_the_shipped_gazetteer_is_the_build_output() -> None:
    assert read(GAZETTEER_PATH) == build()


def test_common_words_are_lower_case_words_seen_often_enough() -> None:
    texts = ["the cat and the dog", "The Cat sat", "the cat, os.path and x@will.com", "the"]
    # "Cat" capitalised, "path" and "will" inside an identifier and an address do not count
    assert common_words(texts, least=2) == {"the", "cat", "and"}


def test_report_scoring_counts_whole_values_and_stray_spans() -> None:
    case = _fill("Ask {name} or {name2}.", {"name": "Ann Lee", "name2": "Bo Kim"})
    assert case.text == "Ask Ann Lee or Bo Kim."
    assert [case.text[a:b] for a, b in case.spans] == ["Ann Lee", "Bo Kim"]
    assert _found(case, [(4, 11)]) == (1, 0)
    assert _found(case, [(4, 8), (0, 3)]) == (0, 1)  # part of a name only; a stray span
    address = _address_case("Ship to {address}.", "1 Main St\nSpringfield, IL 62701")
    assert isinstance(address, Case)
    assert address.text == "Ship to 1 Main St, Springfield, IL 62701."
    assert _found(address, [(8, 17)]) == (1, 0)  # the street line is enough
    assert _found(address, [(8, 40)]) == (1, 0)  # and the rest of the address is no stray
