import string

from sluicegate.server.ids import RequestIds, id_headers


def test_ids_are_32_hex_characters_and_never_repeat() -> None:
    ids = RequestIds()
    seen = {ids() for _ in range(10_000)}
    assert len(seen) == 10_000
    assert all(len(rid) == 32 and set(rid) <= set(string.hexdigits.lower()) for rid in seen)


def test_two_processes_worth_of_ids_do_not_collide() -> None:
    first, second = RequestIds(), RequestIds()
    assert {first() for _ in range(100)}.isdisjoint({second() for _ in range(100)})


def test_both_header_names_carry_the_same_id() -> None:
    headers = id_headers("abc")
    assert headers == {"x-request-id": "abc", "apim-request-id": "abc"}
