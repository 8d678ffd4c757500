"""The quality report of person-name and street-address detection (Markdown), written to
`docs/safety-pii-names.md`:

    .venv/bin/python -m training.pii_names_report [--out docs/safety-pii-names.md]

Needs the `train` extra (Faker, wordfreq, the prompt corpora). Three measurements:

- **Names in sentences**: Faker names (seeded) of the locales the gazetteer was built from, of
  locales it was not (`UNSEEN_LOCALES`), and of the gazetteer's own locales with a fifth of the
  names left out of a gazetteer built for the test (`HELD_OUT_SHARE`), put into sentence
  templates with and without a cue (a title, "my name is", a sign-off). A name counts as found
  when one detected span covers all of it; a detected span that covers no name is a false
  positive.
- **Addresses in sentences**: Faker addresses of each locale the detector knows the shapes of,
  written on one line, in templates; found when one span covers the street and number.
- **Ordinary text**: the share of texts with a detection among texts the gazetteer's word lists
  never saw (the labelled corpora's benign test prompts, the held-out everyday prompts, the
  held-out standard-library docs), with the detected spans listed so a reader can judge them:
  some are real names, which the corpora do not mark.
"""

from __future__ import annotations

import argparse
import random
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from faker import Faker

from sluicegate.safety.pii_addresses import find_street_addresses
from sluicegate.safety.pii_names import Gazetteer, find_person_names, shipped_gazetteer
from training.pii_gazetteer import LOCALES, build, faker_names
from training.prompt_shield_data import NEURALCHEMY, SLABS, load_corpora
from training.report_cells import machine

OUT = Path("docs/safety-pii-names.md")
COMMAND = ".venv/bin/python -m training.pii_names_report"
SEED = 7
PER_LOCALE = 60
"""Sentences per locale and template kind."""
HELD_OUT_SHARE = 5
"""One name in this many is left out of the test gazetteer."""
UNSEEN_LOCALES = ("lt_LT", "lv_LV", "et_EE", "is_IS", "az_AZ", "sw", "yo_NG", "zu_ZA", "en_NG")
"""Latin-script locales whose names the gazetteer was not built from."""
NAME_LOCALES = ("en_US", "en_GB", "en_IN", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL")
ADDRESS_LOCALES = (
    "en_US", "en_GB", "en_IE", "en_AU", "en_CA", "de_DE", "de_AT", "nl_NL", "fr_FR", "es_ES",
    "it_IT", "pt_BR", "pt_PT",
)  # fmt: skip

CUED = (
    "Hi, my name is {name} and I need help with my order.",
    "Dear {name},\nthank you for your letter of last week.",
    "Please forward this to Dr. {name} before Monday.",
    "Kind regards,\n{name}",
    "Patient: {name}, admitted on 3 March with a fractured wrist.",
    "Full name: {name}\nDate of birth: 12/04/1988",
    "Is Mrs. {name} available for a call tomorrow?",
    "Thanks,\n{name}\nCustomer Success",
)
"""Sentences where something says a name follows."""
PLAIN = (
    "Can you write a polite reminder to {name} about the unpaid invoice?",
    "{name} reported that the login page times out on mobile.",
    "Summarise the meeting notes: {name} will own the migration and {name2} the rollout.",
    "The contract was signed by {name} on behalf of the supplier.",
    "Translate this for {name}: the package arrives on Friday.",
    "Our new hire, {name}, starts next week in the Berlin office.",
    "I had a long chat with {name} about the budget.",
    "Who should review the pull request, {name} or {name2}?",
)
"""Sentences where nothing but the name itself says it is one."""
ADDRESS_TEMPLATES = (
    "Please ship the replacement to {address}.",
    "My new address is {address}, effective from next month.",
    "The office moved to {address} in May.",
    "Billing address: {address}",
)


@dataclass(frozen=True, slots=True)
class Case:
    text: str
    spans: tuple[tuple[int, int], ...]
    """What a detected span must cover for the value to count as found."""
    extents: tuple[tuple[int, int], ...] = ()
    """Where the values lie (`spans` unless wider): a detected span elsewhere is wrong."""


def _fill(template: str, values: dict[str, str]) -> Case:
    """The template with its values, and where each value landed."""
    text, spans, rest = "", [], template
    while "{" in rest:
        head, _, tail = rest.partition("{")
        key, _, rest = tail.partition("}")
        text += head
        spans.append((len(text), len(text) + len(values[key])))
        text += values[key]
    return Case(text + rest, tuple(spans))


def _found(case: Case, detected: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """(true values covered by one detected span, detected spans overlapping no true value)."""
    covered = sum(any(s <= a and b <= e for s, e in detected) for a, b in case.spans)
    extents = case.extents or case.spans
    stray = sum(not any(s < b and a < e for a, b in extents) for s, e in detected)
    return covered, stray


def _name_cases(templates: Sequence[str], count: int, name: Callable[[], str]) -> list[Case]:
    rng = random.Random(SEED)
    return [
        _fill(rng.choice(templates), {"name": name(), "name2": name()})
        for _ in range(count)  # a template without {name2} ignores it
    ]


def _faker(locale: str) -> Faker:
    fake = Faker(locale)
    fake.seed_instance(SEED)
    return fake


def _person(fake: Faker) -> Callable[[], str]:
    return lambda: f"{fake.first_name()} {fake.last_name()}"


def _score(cases: Sequence[Case], detect: Callable[[str], Iterable[tuple[int, int]]]) -> str:
    total = covered = stray = 0
    for case in cases:
        hit, wrong = _found(case, list(detect(case.text)))
        total, covered, stray = total + len(case.spans), covered + hit, stray + wrong
    return f"{total} | {covered / total:.1%} | {stray}"


def _held_out(name: str) -> bool:
    return zlib.crc32(name.encode()) % HELD_OUT_SHARE == 0


def _names_table() -> list[str]:
    shipped = shipped_gazetteer()
    given, surnames = faker_names()
    partial = Gazetteer.from_mapping(build(exclude={n for n in given | surnames if _held_out(n)}))

    def with_gazetteer(g: Gazetteer) -> Callable[[str], Iterable[tuple[int, int]]]:
        return lambda text: find_person_names(text, g)

    lines = [
        "| names from | sentences | names | found | spans that are no name |",
        "|---|---|---:|---:|---:|",
    ]
    groups: list[tuple[str, tuple[str, ...], Gazetteer, Callable[[Faker], Callable[[], str]]]] = [
        ("the gazetteer's locales", NAME_LOCALES, shipped, _person),
        ("locales it was not built from", UNSEEN_LOCALES, shipped, _person),
        (
            "its locales, names left out of it",
            NAME_LOCALES,
            partial,
            lambda fake: _unknown_person(fake, given, surnames),
        ),
    ]
    kinds = (
        ("with a cue", CUED, False),
        ("without", PLAIN, False),
        ("with a cue, name in capitals", CUED, True),
        ("without, name in capitals", PLAIN, True),
    )
    for label, locales, gazetteer, person in groups:
        for kind, templates, capitals in kinds:
            cases = [
                case
                for locale in locales
                for case in _name_cases(
                    templates,
                    PER_LOCALE,
                    _shouted(person(_faker(locale))) if capitals else person(_faker(locale)),
                )
            ]
            lines.append(f"| {label} | {kind} | {_score(cases, with_gazetteer(gazetteer))} |")
    return lines


def _shouted(name: Callable[[], str]) -> Callable[[], str]:
    """Names as forms and headers write them: "MARIA GARCIA"."""
    return lambda: name().upper()


def _unknown_person(fake: Faker, given: set[str], surnames: set[str]) -> Callable[[], str]:
    """Names whose given name and surname are both left out of the test gazetteer."""
    firsts = sorted(n for n in given if _held_out(n))
    lasts = sorted(n for n in surnames if _held_out(n))
    rng = random.Random(SEED)
    return lambda: f"{rng.choice(firsts)} {rng.choice(lasts)}"


def _address_table() -> list[str]:
    lines = ["| locale | addresses | found | spans that are no address |", "|---|---:|---:|---:|"]
    for locale in ADDRESS_LOCALES:
        fake = _faker(locale)
        rng = random.Random(SEED)
        cases = [
            _address_case(rng.choice(ADDRESS_TEMPLATES), fake.address())
            for _ in range(PER_LOCALE * 2)
        ]
        lines.append(f"| {locale} | {_score(cases, find_street_addresses)} |")
    return lines


def _address_case(template: str, address: str) -> Case:
    """The address on one line; found when a detected span covers its first line (the street
    and number: the city and postcode may be cut)."""
    lines = [part.strip() for part in address.splitlines() if part.strip()]
    case = _fill(template, {"address": ", ".join(lines)})
    start, end = case.spans[0]
    return Case(case.text, ((start, start + len(lines[0])),), ((start, end),))


def _ordinary_text() -> list[str]:
    corpora = load_corpora()
    sets = {
        f"{SLABS} test prompts (benign and attacks)": [
            e.text for e in corpora.test if e.source == SLABS
        ],
        f"{NEURALCHEMY} test prompts (benign and attacks)": [
            e.text for e in corpora.test if e.source == NEURALCHEMY
        ],
        "multilingual injections (de, fr, es, it, pt, en)": [e.text for e in corpora.multilingual],
        "everyday prompts (held out)": [e.text for e in corpora.everyday_held_out],
        "standard-library docs and code (held out)": [e.text for e in corpora.background_held_out],
    }
    lines = [
        "| text | texts | with a name | with an address |",
        "|---|---:|---:|---:|",
    ]
    samples: dict[str, list[str]] = {"person_name": [], "street_address": []}
    for label, texts in sets.items():
        names = addresses = 0
        for text in texts:
            found_names = [text[a:b] for a, b in find_person_names(text)]
            found_addresses = [text[a:b] for a, b in find_street_addresses(text)]
            names += bool(found_names)
            addresses += bool(found_addresses)
            samples["person_name"] += found_names
            samples["street_address"] += found_addresses
        lines.append(
            f"| {label} | {len(texts)} | {names / len(texts):.1%} | {addresses / len(texts):.1%} |"
        )
    rng = random.Random(SEED)
    for kind, found in samples.items():
        distinct = sorted({_plain(s) for s in found})
        if not distinct:
            lines += ["", f"No `{kind}` spans."]
            continue
        shown = sorted(rng.sample(distinct, min(40, len(distinct))))
        lines += [
            "",
            f"{len(found)} `{kind}` spans, {len(distinct)} distinct; "
            f"{'a sample' if len(distinct) > len(shown) else 'all'}: "
            + ", ".join(f"`{s}`" for s in shown)
            + ".",
        ]
    return lines


def _plain(span: str) -> str:
    return " ".join(span.replace("`", "'").split())


def report() -> str:
    started = time.perf_counter()
    parts = [
        "# Person names and street addresses: measured quality",
        "",
        f"Written by `{COMMAND}` on {machine()}. The detectors are `person_name` "
        "(`src/sluicegate/safety/pii_names.py`, with the gazetteer built by "
        "`training/pii_gazetteer.py` from Faker's name lists of "
        f"{len(LOCALES)} locales) and `street_address` (`src/sluicegate/safety/pii_addresses.py`). "
        "Both are opt-in PII types (`safety.profiles.*.pii.types`).",
        "",
        "## Names in sentences",
        "",
        f"Faker names ({PER_LOCALE} sentences per locale and kind, seed {SEED}) in "
        f'{len(CUED)} templates with a cue (a title, "my name is", a sign-off) and '
        f"{len(PLAIN)} without, each also with the name in capitals (the rest of the sentence "
        f"as written). Locales of the gazetteer: {', '.join(NAME_LOCALES)}; locales it "
        f"was not built from: {', '.join(UNSEEN_LOCALES)}. For the last rows one name in "
        f"{HELD_OUT_SHARE} was left out of the gazetteer and the sentences use only those: "
        "names it does not know.",
        "",
        *_names_table(),
        "",
        "## Addresses in sentences",
        "",
        f"Faker addresses ({PER_LOCALE * 2} per locale, on one line) in "
        f"{len(ADDRESS_TEMPLATES)} templates. Faker builds street names from the same street "
        "types the detector looks for, so these rates are an upper bound for real addresses "
        "of those countries; other countries' formats are not looked for. An address counts "
        "as found when one span covers its first line. Faker writes Irish addresses as "
        "street, Eircode and town on one line: the span ends after the Eircode, so none "
        "counts as found although every street is.",
        "",
        *_address_table(),
        "",
        "## Ordinary text",
        "",
        "Texts the gazetteer's word lists were not built from. The corpora do not mark names, "
        "so a detection here is not always wrong: the spans are listed to judge.",
        "",
        *_ordinary_text(),
        "",
        "What each costs per 1k-token prompt is measured by `benchmarks/safety_overhead.py` "
        "(docs/performance.md).",
        "",
        f"(Report written in {time.perf_counter() - started:.0f} s.)",
        "",
    ]
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.write_text(report(), encoding="utf-8")
    print(f"report -> {args.out}")


if __name__ == "__main__":
    main()
