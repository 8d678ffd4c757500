"""Reading what a promotion needs from an evaluation run's summary (`summary.json` of
`sluicegate eval run`): its `gate` block, the run's metrics and the paired comparisons.

The evaluation tool writes the summary and sits above the admin layer, so the format is
restated here (a test keeps `SUMMARY_FORMAT` equal to the tool's). Everything is checked when a
run is published, so a stored run can always be judged; a summary that does not have the shape
is refused with the path of the first wrong field (`gate.candidates[0].verdicts`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluicegate.core.errors import InvalidRequest

SUMMARY_FORMAT = "sluicegate-eval-summary/1"
VERDICTS = ("better", "worse", "no significant difference")
VERSION_REF = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]{0,127})@v([1-9][0-9]{0,8})$")
"""A registered prompt version as the gateway names it, `support@v7`."""
MAX_ENTRIES = 1000
"""The most candidates, metrics or resolved versions a published run may list."""


@dataclass(frozen=True, slots=True)
class RunSide:
    spec: str
    """As given to `eval run --prompt`: `support@production`, `support@v8`, a file."""
    resolved_versions: tuple[str, ...]
    """The versions that answered: `support@v7`, or a local file's `name#hash`."""


@dataclass(frozen=True, slots=True)
class RunCandidate(RunSide):
    verdicts: Mapping[str, str]
    """Metric → `better`, `worse` or `no significant difference`."""


@dataclass(frozen=True, slots=True)
class Compared:
    """One paired comparison's figures, when the summary has them."""

    n: int | None
    baseline_mean: float | None
    candidate_mean: float | None


@dataclass(frozen=True, slots=True)
class RunGate:
    complete: bool
    alpha: float | None
    baseline: RunSide
    candidates: tuple[RunCandidate, ...]
    metrics: tuple[str, ...]
    """Every metric of the run, in its order."""
    comparisons: Mapping[tuple[str, str], Compared]
    """(candidate spec, metric) → figures."""
    prompts: tuple[str, ...]
    """The registered prompts the run compared, sorted."""
    unfinished: tuple[str, ...]
    """Why the run is not complete, per prompt (`support@v8: 3 item(s) not run yet`)."""

    @property
    def candidate_versions(self) -> tuple[str, ...]:
        return tuple(v for candidate in self.candidates for v in candidate.resolved_versions)


def read_gate(summary: object) -> RunGate:
    """The promotion-relevant parts of a summary; `InvalidRequest` naming the first wrong field."""
    top = _object(summary, "summary")
    if top.get("format") != SUMMARY_FORMAT:
        raise InvalidRequest(
            f"not an evaluation summary: its format is {_shown(top.get('format'))}, not "
            f"{SUMMARY_FORMAT!r} (publish the summary.json that `sluicegate eval run` wrote)",
            param="format",
        )
    gate = _object(top.get("gate"), "gate")
    complete = gate.get("complete")
    if not isinstance(complete, bool):
        raise _wrong("gate.complete", "true or false")
    alpha = _number(gate.get("alpha"))
    if gate.get("alpha") is not None and (alpha is None or not 0 < alpha < 1):
        raise _wrong("gate.alpha", "a number between 0 and 1")
    baseline = _side(gate.get("baseline"), "gate.baseline")
    raw = _list(gate.get("candidates"), "gate.candidates")
    candidates = tuple(_candidate(item, f"gate.candidates[{i}]") for i, item in enumerate(raw))
    metrics = _metrics(top.get("metrics"), candidates)
    return RunGate(
        complete=complete,
        alpha=alpha,
        baseline=baseline,
        candidates=candidates,
        metrics=metrics,
        comparisons=_comparisons(top.get("comparisons")),
        prompts=_prompt_names(top.get("prompts"), baseline, candidates),
        unfinished=_unfinished(top.get("prompts")),
    )


def _side(value: object, where: str) -> RunSide:
    side = _object(value, where)
    return RunSide(_text(side.get("spec"), f"{where}.spec"), _versions(side, where))


def _candidate(value: object, where: str) -> RunCandidate:
    side = _side(value, where)
    raw = _object(_object(value, where).get("verdicts"), f"{where}.verdicts")
    if len(raw) > MAX_ENTRIES:
        raise _wrong(f"{where}.verdicts", f"at most {MAX_ENTRIES} metrics")
    verdicts: dict[str, str] = {}
    for metric, verdict in raw.items():
        if verdict not in VERDICTS:
            raise _wrong(f"{where}.verdicts.{metric}", " or ".join(repr(v) for v in VERDICTS))
        verdicts[metric] = verdict
    return RunCandidate(side.spec, side.resolved_versions, verdicts)


def _versions(side: Mapping[str, Any], where: str) -> tuple[str, ...]:
    raw = _list(side.get("resolved_versions"), f"{where}.resolved_versions")
    return tuple(_text(v, f"{where}.resolved_versions[{i}]") for i, v in enumerate(raw))


def _metrics(value: object, candidates: tuple[RunCandidate, ...]) -> tuple[str, ...]:
    """The summary's metric list; without one, every metric a candidate has a verdict on."""
    if value is None:
        seen: dict[str, None] = {}
        for candidate in candidates:
            seen.update(dict.fromkeys(candidate.verdicts))
        return tuple(seen)
    names = []
    for index, item in enumerate(_list(value, "metrics")):
        names.append(
            _text(_object(item, f"metrics[{index}]").get("name"), f"metrics[{index}].name")
        )
    return tuple(names)


def _comparisons(value: object) -> dict[tuple[str, str], Compared]:
    """Figures of the comparisons that carry them; anything else in the list is ignored (they
    only make refusals more precise)."""
    found: dict[tuple[str, str], Compared] = {}
    if not isinstance(value, list):
        return found
    for item in value:
        if not isinstance(item, dict):
            continue
        candidate, metric = item.get("candidate"), item.get("metric")
        if isinstance(candidate, str) and isinstance(metric, str):
            n = item.get("n")
            found[(candidate, metric)] = Compared(
                n if isinstance(n, int) and not isinstance(n, bool) else None,
                _number(item.get("baseline_mean")),
                _number(item.get("candidate_mean")),
            )
    return found


def _prompt_names(
    value: object, baseline: RunSide, candidates: tuple[RunCandidate, ...]
) -> tuple[str, ...]:
    names: set[str] = set()
    for side in (baseline, *candidates):
        for version in side.resolved_versions:
            found = VERSION_REF.match(version)
            if found is not None:
                names.add(found.group(1))
    if isinstance(value, list):
        for prompt in value:
            if isinstance(prompt, dict) and prompt.get("kind") == "registry":
                name = prompt.get("name")
                if isinstance(name, str) and VERSION_REF.match(f"{name}@v1"):
                    names.add(name)
    return tuple(sorted(names))


def _unfinished(value: object) -> tuple[str, ...]:
    reasons: list[str] = []
    if not isinstance(value, list):
        return ()
    for prompt in value:
        if not isinstance(prompt, dict):
            continue
        spec = prompt.get("spec") if isinstance(prompt.get("spec"), str) else "a prompt"
        for field, what in (("pending", "not run yet"), ("errors", "without an answer")):
            count = prompt.get(field)
            if isinstance(count, int) and count > 0:
                reasons.append(f"{spec}: {count} item(s) {what}")
    return tuple(reasons)


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _wrong(where, "an object")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _wrong(where, "a list")
    if len(value) > MAX_ENTRIES:
        raise _wrong(where, f"a list of at most {MAX_ENTRIES} entries")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 1000:
        raise _wrong(where, "text (1 to 1000 characters)")
    return value


def _number(value: object) -> float | None:
    """A finite number as a float; None for anything else (true/false included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _wrong(where: str, expected: str) -> InvalidRequest:
    return InvalidRequest(f"not an evaluation summary: {where} must be {expected}", param=where)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
