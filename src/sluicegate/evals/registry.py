"""Evaluators from the specs the command line passes, e.g.

    --evaluators 'exact:case+whitespace,f1,regex:^\\d+$,json_schema:schema.json,bleu,rouge_l,
                  judge:groundedness,polite=custom:checks.py:is_polite'

Grammar: `specs := spec ("," spec)*`, `spec := [label "="] name [":" argument]`. A comma inside
a spec (a regex `\\d{1,3}`, say) is written `\\,`; other backslashes stay as they are. The
label names the metric in reports; without one the metric is named by the spec as written.
Names and their arguments:

    exact[:OPTS]           pass/fail; OPTS joins case, whitespace, punctuation, squad with "+"
    f1                     SQuAD token F1, 0–1
    regex[:PATTERN]        pass/fail, re.search; without PATTERN, the item's metadata.regex
    regex_full[:PATTERN]   pass/fail, re.fullmatch of the stripped answer
    json                   pass/fail, the answer (or its one code fence) is JSON
    json_schema[:FILE]     pass/fail, JSON valid against FILE, else the item's metadata.json_schema
    bleu                   sentence BLEU, 0–100
    rouge_l                ROUGE-L F-measure, 0–1
    embedding              cosine similarity of embeddings, −1–1 (needs an embeddings model)
    judge:RUBRIC           1–5 from a judge model: groundedness, relevance, coherence,
                           fluency, similarity (needs a judge model)
    custom:TARGET          a Python function: path/file.py:fn, module:fn or an entry point name
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import cast

from sluicegate.evals.evaluator import Evaluator
from sluicegate.evals.evaluators.bleu import SentenceBleu
from sluicegate.evals.evaluators.custom import CustomEvaluator, load_function
from sluicegate.evals.evaluators.embedding import EmbeddingSimilarity, EmbedFn
from sluicegate.evals.evaluators.errors import EvaluatorSpecError
from sluicegate.evals.evaluators.exact_match import ExactMatch
from sluicegate.evals.evaluators.json_schema import JsonSchemaMatch, load_schema_file
from sluicegate.evals.evaluators.json_valid import JsonValid
from sluicegate.evals.evaluators.judge import CompleteFn, LlmJudge
from sluicegate.evals.evaluators.judge_rubrics import RUBRICS
from sluicegate.evals.evaluators.normalize import NORMALIZATIONS, Normalization
from sluicegate.evals.evaluators.pattern import RegexMatch
from sluicegate.evals.evaluators.rouge_l import RougeL
from sluicegate.evals.evaluators.token_f1 import TokenF1

_LABEL = re.compile(r"\A(?P<label>[A-Za-z_][\w.\-]*)=")


@dataclass(frozen=True, slots=True)
class EvaluatorContext:
    """What some evaluators need from the caller: a judge model, an embeddings model, and the
    directory that relative paths in specs are read from."""

    complete: CompleteFn | None = None
    embed: EmbedFn | None = None
    base_dir: Path = field(default_factory=Path.cwd)


@dataclass(frozen=True, slots=True)
class Spec:
    label: str
    name: str
    argument: str | None


def split_specs(text: str) -> list[str]:
    """Split a comma-separated list of specs; `\\,` is a literal comma. Empty parts are
    dropped."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("\\,", i):
            current.append(",")
            i += 2
            continue
        if text[i] == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(text[i])
        i += 1
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def parse_spec(text: str) -> Spec:
    """`[label=]name[:argument]` → Spec; the label defaults to the spec as written."""
    text = text.strip()
    label = _LABEL.match(text)
    body = text[label.end() :] if label else text
    name, sep, argument = body.partition(":")
    if not name:
        raise EvaluatorSpecError(f"{text!r}: an evaluator spec starts with a name")
    return Spec(
        label=label.group("label") if label else body,
        name=name.strip().lower(),
        argument=argument if sep else None,
    )


def _no_argument(spec: Spec) -> None:
    if spec.argument is not None:
        raise EvaluatorSpecError(f"{spec.name} takes no argument (got {spec.argument!r})")


def _need_argument(spec: Spec, what: str) -> str:
    if not spec.argument:
        raise EvaluatorSpecError(f"{spec.name} needs {what}: {spec.name}:…")
    return spec.argument


def _exact(spec: Spec, _: EvaluatorContext) -> Evaluator:
    options = [opt.strip().lower() for opt in (spec.argument or "").split("+") if opt.strip()]
    unknown = [opt for opt in options if opt not in NORMALIZATIONS]
    if unknown:
        raise EvaluatorSpecError(
            f"exact: unknown option {unknown[0]!r}; options are {', '.join(NORMALIZATIONS)} "
            "joined with '+'"
        )
    return ExactMatch(spec.label, cast(list[Normalization], options))


def _f1(spec: Spec, _: EvaluatorContext) -> Evaluator:
    _no_argument(spec)
    return TokenF1(spec.label)


def _regex(spec: Spec, _: EvaluatorContext) -> Evaluator:
    return RegexMatch(spec.label, spec.argument or None)


def _regex_full(spec: Spec, _: EvaluatorContext) -> Evaluator:
    return RegexMatch(spec.label, spec.argument or None, full=True)


def _json(spec: Spec, _: EvaluatorContext) -> Evaluator:
    _no_argument(spec)
    return JsonValid(spec.label)


def _json_schema(spec: Spec, context: EvaluatorContext) -> Evaluator:
    if not spec.argument:
        return JsonSchemaMatch(spec.label)
    path = Path(spec.argument).expanduser()
    return JsonSchemaMatch(
        spec.label, load_schema_file(path if path.is_absolute() else context.base_dir / path)
    )


def _bleu(spec: Spec, _: EvaluatorContext) -> Evaluator:
    _no_argument(spec)
    return SentenceBleu(spec.label)


def _rouge_l(spec: Spec, _: EvaluatorContext) -> Evaluator:
    _no_argument(spec)
    return RougeL(spec.label)


def _embedding(spec: Spec, context: EvaluatorContext) -> Evaluator:
    _no_argument(spec)
    if context.embed is None:
        raise EvaluatorSpecError("embedding needs an embeddings model to call; none is set")
    return EmbeddingSimilarity(context.embed, spec.label)


def _judge(spec: Spec, context: EvaluatorContext) -> Evaluator:
    rubric_name = _need_argument(spec, f"a rubric ({', '.join(RUBRICS)})").strip().lower()
    rubric = RUBRICS.get(rubric_name)
    if rubric is None:
        raise EvaluatorSpecError(
            f"judge: unknown rubric {rubric_name!r}; rubrics are {', '.join(RUBRICS)}"
        )
    if context.complete is None:
        raise EvaluatorSpecError(f"{spec.label} needs a judge model to call; none is set")
    return LlmJudge(rubric, context.complete, spec.label)


def _custom(spec: Spec, context: EvaluatorContext) -> Evaluator:
    target = _need_argument(spec, "a function (path/file.py:fn, module:fn or an entry point)")
    return CustomEvaluator(load_function(target.strip(), context.base_dir), spec.label)


Builder = Callable[[Spec, EvaluatorContext], Evaluator]

BUILDERS = MappingProxyType(
    {
        "exact": _exact,
        "f1": _f1,
        "regex": _regex,
        "regex_full": _regex_full,
        "json": _json,
        "json_schema": _json_schema,
        "bleu": _bleu,
        "rouge_l": _rouge_l,
        "embedding": _embedding,
        "judge": _judge,
        "custom": _custom,
    }
)


def build_evaluator(text: str, context: EvaluatorContext) -> Evaluator:
    """One evaluator from one spec; EvaluatorSpecError says what is wrong with it."""
    spec = parse_spec(text)
    builder: Builder | None = BUILDERS.get(spec.name)
    if builder is None:
        close = difflib.get_close_matches(spec.name, list(BUILDERS), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise EvaluatorSpecError(
            f"unknown evaluator {spec.name!r}{hint}; evaluators are {', '.join(BUILDERS)}"
        )
    return builder(spec, context)


def build_evaluators(specs: Iterable[str], context: EvaluatorContext) -> list[Evaluator]:
    """Evaluators for every spec, in order; two with the same name are an error (name one
    with a label: `digits=regex:^\\d+$`)."""
    built: list[Evaluator] = []
    for text in specs:
        evaluator = build_evaluator(text, context)
        if any(other.name == evaluator.name for other in built):
            raise EvaluatorSpecError(
                f"two evaluators are named {evaluator.name!r}; give one a label: label={text}"
            )
        built.append(evaluator)
    if not built:
        raise EvaluatorSpecError("no evaluator given")
    return built
