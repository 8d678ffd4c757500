"""PII detection: check digits decide, look-alikes stay quiet, spans are exact."""

from __future__ import annotations

import pytest
from benchmarks.pii_samples import samples
from benchmarks.safety_quality import score_pii

from sluicegate.safety.pii import PII_TYPES, PiiDetector
from sluicegate.safety.pii_checks import (
    bsn_valid,
    card_valid,
    dni_valid,
    iban_valid,
    luhn_valid,
    nir_valid,
    ssn_valid,
    verhoeff_valid,
)
from sluicegate.safety.verdict import DETECTED, Category

DETECT = PiiDetector()


def found(text: str, detector: PiiDetector = DETECT) -> dict[str, list[str]]:
    """Type -> the exact texts of its spans."""
    verdict = detector(text)
    return {f.label: [text[s.start : s.end] for s in f.spans] for f in verdict.findings}


def test_check_digit_functions() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert card_valid("378282246310005")  # Amex, 15 digits
    assert not card_valid("378282246310005" + "0")  # Amex cannot have 16
    assert not card_valid("9111111111111111")  # Luhn-valid, no issuer starts with 9
    assert iban_valid("DE89370400440532013000")
    assert not iban_valid("DE89370400440532013001")
    assert not iban_valid("DE8937040044053201300")  # one short for Germany
    assert not iban_valid("XX89370400440532013000")  # not a registered country
    assert ssn_valid("123", "45", "6789")
    for area, group, serial in (
        ("000", "45", "6789"),
        ("666", "45", "6789"),
        ("912", "45", "6789"),
        ("123", "00", "6789"),
        ("123", "45", "0000"),
        ("078", "05", "1120"),  # printed in an advertisement, invalidated
    ):
        assert not ssn_valid(area, group, serial)
    assert dni_valid("12345678", "Z")
    assert not dni_valid("12345678", "A")
    assert dni_valid("X1234567", "L")  # NIE: X counts as 0
    assert nir_valid("1850578006084", "91")
    assert not nir_valid("1850578006084", "92")
    assert nir_valid("185052A006084", f"{97 - 1850519006084 % 97:02d}")  # Corsica 2A = 19
    assert bsn_valid("111222333")
    assert not bsn_valid("111222334")
    assert verhoeff_valid("499118665246")
    assert not verhoeff_valid("499118665247")


@pytest.mark.parametrize(
    ("text", "label", "value"),
    [
        ("card 4111 1111 1111 1111 ok", "credit_card", "4111 1111 1111 1111"),
        ("card 4111-1111-1111-1111.", "credit_card", "4111-1111-1111-1111"),
        ("amex 3782 822463 10005", "credit_card", "3782 822463 10005"),
        ("mc 5555555555554444", "credit_card", "5555555555554444"),
        ("IBAN DE89 3704 0044 0532 0130 00 thanks", "iban", "DE89 3704 0044 0532 0130 00"),
        ("to GB29NWBK60161331926819.", "iban", "GB29NWBK60161331926819"),
        ("SSN 123-45-6789", "us_ssn", "123-45-6789"),
        ("my ssn: 123456789", "us_ssn", "123456789"),
        ("NINO AB 12 34 56 C", "uk_nino", "AB 12 34 56 C"),
        ("DNI 12345678Z", "es_dni", "12345678Z"),
        ("NIE X1234567L", "es_dni", "X1234567L"),
        ("NIR 1 85 05 78 006 084 91", "fr_nir", "1 85 05 78 006 084 91"),
        ("BSN: 111222333", "nl_bsn", "111222333"),
        ("nummer 1112.22.333", "nl_bsn", "1112.22.333"),
        ("Aadhaar 4991 1866 5246", "in_aadhaar", "4991 1866 5246"),
        ("mail John.Doe+x@example.co.uk.", "email", "John.Doe+x@example.co.uk"),
        ("mailto:anna@example.org", "email", "anna@example.org"),
        ("call +44 20 7946 0958 now", "phone", "+44 20 7946 0958"),
        ("call (415) 555-2671", "phone", "(415) 555-2671"),
        ("call 415.555.2671", "phone", "415.555.2671"),
        ("appelle 06 12 34 56 78", "phone", "06 12 34 56 78"),
        ("phone: 4155552671", "phone", "4155552671"),
        ("host 10.0.0.1, ok", "ip_address", "10.0.0.1"),
        ("host 2001:db8::1 up", "ip_address", "2001:db8::1"),
        ("mapped ::ffff:192.168.0.1", "ip_address", "::ffff:192.168.0.1"),
    ],
)
def test_valid_values_found_with_exact_spans(text: str, label: str, value: str) -> None:
    assert found(text) == {label: [value]}


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112",  # Luhn fails
        "IBAN DE89 3704 0044 0532 0130 01",  # mod 97 fails
        "SSN 000-12-3456, 666-12-3456, 912-12-3456, 123-00-4567, 123-45-0000",
        "ref 123456789 and 111222333",  # nine digits, no SSN or BSN named
        "NINO BG123456C, DA123456C, AB123456E",  # BG never issued, D never first, E no suffix
        "DNI 12345678A",  # wrong letter
        "NIR 1 85 05 78 006 084 92",  # wrong key
        "Aadhaar 4991 1866 5247",  # Verhoeff fails
        "call (555) 123-4567",  # an exchange never starts with 1
        "ip 256.1.1.1 and 1.2.3 and 01.02.03.04",
    ],
)
def test_invalid_values_not_found(text: str) -> None:
    assert found(text) == {}


@pytest.mark.parametrize(
    "text",
    [
        "Released on 2024-01-15, 15.01.2024 and 01/15/2024 at 12:30:45.",
        "Upgrade to version 1.2.3.4, v2.14.0 or build 10.0.19045.3803.",
        "Order #123456789 and order 1234567890123456 shipped; invoice INV-2024-000123.",
        "id 550e8400-e29b-41d4-a716-446655440000, commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "ISBN 978-3-16-148410-0, price $1,234.56, 3,000,000 requests, pi 3.14159265358979",
        "timestamp 1700000000000 and epoch 1700000000",
        "std::vector<int>, a::b, x[1::2], ratio 16:9, MAC 00:1A:2B:3C:4D:5E",
        "scientific 2.53130850e-14 and -9.878987731663194e-01",
        "icon@2x.png, @username, user@localhost, npm i pkg@1.2.3",
        "hexdump 00 00 00 00 00 00 01 01 00 00",
    ],
)
def test_look_alikes_not_found(text: str) -> None:
    assert found(text) == {}


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("AKIAIOSFODNN7EXAMPLE", "aws_access_key_id"),
        ("ghp_" + "a1B2c3D4e5" * 3 + "a1B2c3", "github_token"),
        ("github_pat_" + "A1b2C3d4E5" * 8 + "xy", "github_token"),
        ("sk-proj-" + "Ab1Cd2Ef3G" * 5, "openai_api_key"),
        ("sk-" + "Ab1Cd2Ef3G" * 5, "openai_api_key"),
        ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "slack_token"),
        ("AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "google_api_key"),
        ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe_key"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
         "jwt"),
        ("sg-0123456789ab-" + "Zx9_Yw8-Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7Zy6", "sluicegate_key"),
    ],
)  # fmt: skip
def test_secrets_found_with_their_kind(value: str, kind: str) -> None:
    text = f"here: {value} (rotate it)"
    finding = DETECT(text).of(Category.PII)
    assert [f.label for f in finding] == ["secret"]
    [span] = finding[0].spans
    assert (text[span.start : span.end], span.label) == (value, f"secret/{kind}")


def test_secret_values_named_in_config_are_the_span() -> None:
    key = "A" * 40 + "b1" * 22 + "=="
    text = f"DefaultEndpointsProtocol=https;AccountName=x;AccountKey={key};EndpointSuffix=core"
    assert found(text) == {"secret": [key]}
    assert found("postgres://app:s3cretPw9@db:5432/main") == {"secret": ["s3cretPw9"]}
    assert found("DB_PASSWORD=Hunter2abc in .env") == {"secret": ["Hunter2abc"]}
    assert found("Authorization: Bearer abcdefghij1234567890XYZ") == {
        "secret": ["abcdefghij1234567890XYZ"]
    }


def test_private_key_block_is_one_span_and_markers_alone_are_not() -> None:
    body = "MIIEowIBAAKCAQEA" + "q" * 64 + "\n" + "Zm9v" * 20
    block = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    assert found(f"key:\n{block}\nbye") == {"secret": [block]}
    truncated = f"-----BEGIN PRIVATE KEY-----\n{body}"
    assert found(f"{truncated}\n") == {"secret": [truncated]}
    markers = (
        'START = b"-----BEGIN OPENSSH PRIVATE KEY-----"\nEND = b"-----END OPENSSH PRIVATE KEY-----"'
    )
    assert found(markers) == {}


@pytest.mark.parametrize(
    "text",
    [
        "sk-learn-compatible-estimators-and-pipelines",
        "password: ********, password=<your password>, postgres://user:password@localhost/db",
        "Bearer <token>",
        "AccountKey=<key>",
        "the AKIA prefix and ghp_ tokens",
        "password = enforce_bytes(auth[1])",
    ],
)
def test_secret_look_alikes_not_found(text: str) -> None:
    assert found(text) == {}


def test_findings_shape_and_type_choice() -> None:
    text = "mail a@example.com or call +44 20 7946 0958, card 4111111111111111"
    verdict = DETECT(text)
    assert [f.label for f in verdict.findings] == ["email", "phone", "credit_card"]
    assert {(f.category, f.severity, f.detector) for f in verdict.findings} == {
        (Category.PII, DETECTED, "pii")
    }
    assert found(text, PiiDetector(["email"])) == {"email": ["a@example.com"]}
    assert found(text, PiiDetector([])) == {}
    with pytest.raises(ValueError, match=r"unknown PII type.*'name'"):
        PiiDetector(["email", "name"])
    assert set(PII_TYPES) >= {"email", "phone", "credit_card", "iban", "ip_address", "secret"}


def test_every_occurrence_is_a_span_of_one_finding() -> None:
    text = "a@example.com, b@example.com; a@example.com"
    assert found(text) == {"email": ["a@example.com", "b@example.com", "a@example.com"]}


def test_phone_inside_an_iban_belongs_to_the_iban() -> None:
    assert found("NL91 ABNA 0417 1643 00") == {"iban": ["NL91 ABNA 0417 1643 00"]}


def test_synthetic_set_quality_floor() -> None:
    """The measured quality (docs/safety-content.md) must not regress."""
    scores = score_pii(PiiDetector(), samples(seed=7, per_type=40))
    for name, score in scores.items():
        assert score.precision >= 0.97, (name, score.errors[:5])
        assert score.recall >= 0.95, (name, score.errors[:5])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\ud800",
        "lone \udfff surrogate 4111 1111 1111 1111 \ud800",
        "\x00\x01\x02 control \x1b[31m 10.0.0.1 \x7f",
        "😀" * 1000 + " a@example.com",
        "9" * 1_000_000,
        "1 " * 500_000,
        "a@" * 300_000,
        "::" * 300_000,
        "-----BEGIN PRIVATE KEY-----" * 30_000,
        "eyJ" * 300_000,
    ],
)
def test_hostile_input_never_raises(text: str) -> None:
    DETECT(text)


def test_one_megabyte_prompt_finds_the_needle() -> None:
    filler = "The quarterly report covers revenue, costs and 2024-05-01 plans. " * 16_000
    text = filler + "card 4111 1111 1111 1111 " + filler
    assert found(text) == {"credit_card": ["4111 1111 1111 1111"]}
