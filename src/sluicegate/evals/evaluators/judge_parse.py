"""Reading the judge's answer. Models do not always answer in the format asked for, so the
reader tries, in order:

1. a JSON object (bare, in a code fence, or the first `{…}` in the text) with `score` and a
   reasoning under `reasoning`, `explanation`, `reason` or `rationale` (in any case);
2. the tags of the Azure AI evaluators: `<S0>thoughts</S0><S1>explanation</S1><S2>score</S2>`;
3. a line such as `Score: 4` or `Rating = 4/5`, the whole text being the reasoning;
4. an answer that is just the number.

The score must be a whole number from 1 to 5 (`4.0` and `"4"` count; `3.5` and `7` do not).
Anything else is a malformed answer: no score, and the error says what was wrong. It never
raises.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from sluicegate.evals.evaluators.json_valid import unfence

LOW, HIGH = 1, 5
_REASON_KEYS = ("reasoning", "explanation", "reason", "rationale")
_OBJECT = re.compile(r"\{.*\}", re.S)
_TAG = re.compile(r"<S(?P<n>[012])>(?P<body>.*?)</S(?P=n)>", re.S | re.I)
_SCORE_LINE = re.compile(
    r"\b(?:score|rating)\b\s*[:=]?\s*\**\s*(?P<score>-?\d+(?:\.\d+)?)\s*(?:/\s*5\b)?", re.I
)
_BARE = re.compile(r"\A\s*\**\s*(?P<score>-?\d+(?:\.\d+)?)\s*\**\s*\Z")
_QUOTE_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Judgement:
    score: int | None
    reasoning: str | None
    error: str | None = None
    """Why there is no score; None when there is one."""


def _whole_score(raw: Any) -> int | str:
    """The score as an int in [LOW, HIGH], or a message saying what is wrong with it."""
    if isinstance(raw, bool):
        return f"the score {raw!r} is not a number"
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            return f"the score {raw!r} is not a number"
    if not isinstance(raw, int | float):
        return f"the score {raw!r} is not a number"
    if not math.isfinite(raw) or raw != int(raw):
        return f"the score {raw!r} is not a whole number"
    if not LOW <= raw <= HIGH:
        return f"the score {int(raw)} is outside {LOW}–{HIGH}"
    return int(raw)


def _judgement(raw_score: Any, reasoning: str | None) -> Judgement:
    score = _whole_score(raw_score)
    if isinstance(score, str):
        return Judgement(score=None, reasoning=reasoning, error=score)
    return Judgement(score=score, reasoning=reasoning)


def _from_json(text: str) -> Judgement | None:
    candidates = [unfence(text)]
    found = _OBJECT.search(text)
    if found:
        candidates.append(found.group(0))
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        data = {str(key).lower(): value for key, value in data.items()}
        if "score" not in data:
            continue
        reasoning = next(
            (str(data[key]).strip() for key in _REASON_KEYS if data.get(key) is not None), None
        )
        return _judgement(data["score"], reasoning or None)
    return None


def _from_tags(text: str) -> Judgement | None:
    tags = {m.group("n"): m.group("body").strip() for m in _TAG.finditer(text)}
    if "2" not in tags:
        return None
    parts = [tags[n] for n in ("0", "1") if tags.get(n)]
    return _judgement(tags["2"], "\n".join(parts) or None)


def parse_judgement(text: str) -> Judgement:
    """Score and reasoning from the judge's answer; see the module docstring for the formats."""
    for reader in (_from_json, _from_tags):
        judgement = reader(text)
        if judgement is not None:
            return judgement
    line = _SCORE_LINE.search(text)
    if line:
        return _judgement(line.group("score"), text.strip())
    bare = _BARE.match(text)
    if bare:
        return _judgement(bare.group("score"), None)
    quoted = " ".join(text.split())
    if len(quoted) > _QUOTE_LIMIT:
        quoted = quoted[:_QUOTE_LIMIT] + "…"
    return Judgement(score=None, reasoning=None, error=f"no score in the answer: {quoted!r}")
