"""Benign text in other languages: the program messages translated into German, French, Spanish,
Italian and Portuguese that are installed on this machine (gettext catalogues). None of them is
an attack, so every hit of the prompt shield's rules is a false positive.

    .venv/bin/python -m training.locale_messages [--root /usr/share/locale]

What is installed differs from machine to machine; docs/safety.md gives the count measured.
"""

from __future__ import annotations

import argparse
import gettext
from collections.abc import Iterator, Sequence
from pathlib import Path

from sluicegate.safety.prompt_shield import PromptShield

LANGUAGES = ("de", "fr", "es", "it", "pt", "pt_BR")


def messages(root: Path) -> Iterator[tuple[Path, str]]:
    """Every translated message of the catalogues under `root` in `LANGUAGES`."""
    for language in LANGUAGES:
        for path in sorted((root / language / "LC_MESSAGES").glob("*.mo")):
            try:
                with path.open("rb") as handle:
                    # no public way to list a catalogue's messages
                    catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
            except (OSError, ValueError) as exc:  # unreadable, or not UTF-8
                print(f"skipped {path}: {exc}")
                continue
            for text in catalog.values():
                if isinstance(text, str) and text:
                    yield path, text


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("/usr/share/locale"))
    args = parser.parse_args(argv)
    rules = PromptShield(classifier=False)
    count = 0
    for path, text in messages(args.root):
        count += 1
        if verdict := rules(text):
            labels = sorted({finding.label for finding in verdict.findings})
            print(f"{path}: {labels}: {text[:200]!r}")
    print(f"{count:,} messages in {', '.join(LANGUAGES)} under {args.root}")


if __name__ == "__main__":
    main()
