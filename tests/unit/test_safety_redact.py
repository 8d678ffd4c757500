"""Redaction: tokens replace exactly the spans found, merged where they overlap, keyed hashes."""

from __future__ import annotations

import re

import pytest

from sluicegate.safety.blocklist import Blocklist, Blocklists
from sluicegate.safety.pii import PiiDetector
from sluicegate.safety.redact import digest, kind_of, merge, redact, redact_spans
from sluicegate.safety.verdict import DETECTED, Category, Finding, Span, Verdict

PII = PiiDetector()


def pii_verdict(label: str, *spans: tuple[int, int]) -> Verdict:
    return Verdict(
        (
            Finding(
                Category.PII,
                DETECTED,
                spans=tuple(Span(s, e, label) for s, e in spans),
                detector="pii",
                label=label,
            ),
        )
    )


def test_mask_replaces_each_kind_with_its_name() -> None:
    text = "Mail anna@example.com, card 4111 1111 1111 1111, key AKIAIOSFODNN7EXAMPLE."
    assert redact(text, PII(text)) == "Mail [EMAIL], card [CREDIT_CARD], key [SECRET]."


def test_hash_tokens_are_stable_keyed_and_canonical() -> None:
    text = "a: 4111 1111 1111 1111 b: 4111-1111-1111-1111 c: Anna@Example.com d: anna@example.com"
    once = redact(text, PII(text), "hash", salt=b"deployment-1")
    again = redact(text, PII(text), "hash", salt=b"deployment-1")
    other = redact(text, PII(text), "hash", salt=b"deployment-2")
    tokens = re.findall(r"\[([A-Z_]+):([0-9a-f]{10})\]", once)
    assert [kind for kind, _ in tokens] == ["CREDIT_CARD", "CREDIT_CARD", "EMAIL", "EMAIL"]
    assert tokens[0][1] == tokens[1][1]  # the same card however it is written
    assert tokens[2][1] == tokens[3][1]  # addresses compare without case
    assert tokens[0][1] != tokens[2][1]
    assert once == again
    assert once != other
    unkeyed = redact(text, PII(text), "hash")
    assert unkeyed != once
    assert re.search(r"\[EMAIL:[0-9a-f]{10}\]", unkeyed)


def test_digest_depends_on_salt_of_any_length() -> None:
    value = "+44 20 7946 0958"
    keys = [b"", b"s", b"x" * 64, b"x" * 65, b"x" * 500]
    digests = {digest(value, "phone", salt=key) for key in keys}
    assert len(digests) == len(keys)
    assert all(re.fullmatch(r"[0-9a-f]{10}", d) for d in digests)


def test_overlapping_spans_merge_and_keep_the_longest_kind() -> None:
    text = "0123456789abcdefghij"
    spans = [Span(2, 6, "phone"), Span(4, 12, "credit_card"), Span(10, 14, "email")]
    assert merge(spans, len(text)) == [Span(2, 14, "credit_card")]
    assert redact_spans(text, spans) == "01[CREDIT_CARD]efghij"
    nested = [Span(0, 10, "iban"), Span(3, 5, "phone"), Span(10, 12, "email")]
    assert redact_spans(text, nested) == "[IBAN][EMAIL]cdefghij"  # touching spans stay apart


def test_offsets_hold_around_multibyte_characters() -> None:
    text = "日本語 😀 mail é@x.org ✓ call +44 20 7946 0958 — fin"
    verdict = PII(text)
    assert redact(text, verdict) == "日本語 😀 mail [EMAIL] ✓ call [PHONE] — fin"
    many = "😀😀 a@b.co 😀 " * 3
    assert redact(many, PII(many)) == "😀😀 [EMAIL] 😀 " * 3


def test_pii_and_blocklist_findings_redact_together() -> None:
    text = "Ask Project Falcon lead at falcon@corp.example.com about ＦＡＬＣＯＮ."
    lists = Blocklists([Blocklist("codenames", ["project falcon", "falcon"])])
    verdict = PII(text).merged(lists(text))
    assert redact(text, verdict) == "Ask [CODENAMES] lead at [EMAIL] about [CODENAMES]."


def test_only_the_chosen_categories_are_redacted() -> None:
    text = "I will hurt you, mail me at a@b.co"
    violence = Finding(Category.VIOLENCE, 6, spans=(Span(0, 15, "violence.threat"),))
    verdict = PII(text).merged(Verdict((violence,)))
    assert redact(text, verdict) == "I will hurt you, mail me at [EMAIL]"
    only_violence = redact(text, verdict, categories=[Category.VIOLENCE])
    assert only_violence == "[VIOLENCE_THREAT], mail me at a@b.co"


def test_labels_become_safe_token_names() -> None:
    assert kind_of("secret/github_token") == "SECRET"
    assert kind_of("credit_card") == "CREDIT_CARD"
    assert kind_of("my list!") == "MY_LIST"
    assert kind_of("") == "REDACTED"


def test_spans_outside_the_text_are_clipped_and_empty_ones_ignored() -> None:
    text = "abc"
    assert redact_spans(text, [Span(1, 99, "email")]) == "a[EMAIL]"
    assert redact_spans(text, [Span(5, 9, "email"), Span(1, 1, "email")]) == "abc"
    assert redact_spans("", [Span(0, 4, "email")]) == ""


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="'mask' or 'hash'"):
        redact_spans("abc", [Span(0, 1, "x")], "blur")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes"):
        redact_spans("abc", [Span(0, 1, "x")], "hash", salt="text")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "\ud800 a@b.co \udfff", "\x00\x07 a@b.co \x1b"])
def test_hostile_text_redacts_without_error(text: str) -> None:
    redacted = redact(text, PII(text), "hash", salt=b"k")
    assert "a@b.co" not in redacted


def test_one_megabyte_with_many_spans() -> None:
    text = "write to x@example.com or y@example.com today. " * 22_000
    verdict = PII(text)
    out = redact(text, verdict)
    assert out.count("[EMAIL]") == 44_000
    assert "@" not in out
