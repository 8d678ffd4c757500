"""How callers name things in the prompt registry: prompts, labels, versions, references
(`NAME`, `NAME@production`, `NAME@v3`, `NAME@3`) and traffic splits (`3:90,4:10`).

Every parser refuses bad input with an `InvalidRequest` naming the parameter, before anything is
read or written; no message echoes more than a short prefix of what was sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sluicegate.core.errors import InvalidRequest
from sluicegate.core.prompts import PROMPT_NAME_PATTERN, VERSION_TOKEN, LabelTarget

MAX_SPLIT = 10
"""The most versions one label may split traffic between."""
MAX_WEIGHT = 1_000_000
_DIGITS = re.compile(r"^[0-9]{1,9}$")
VERSION_LIKE = re.compile(r"^[vV]?[0-9]+$")
"""What no label may look like: a version (`3`, `v3`, the core's `VERSION_TOKEN`) and anything
easily taken for one (`0`, `v0`, `V3`, `007`)."""
NAME_RULE = "1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit"


def shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_prompt_name(name: object, param: str = "name") -> str:
    """A prompt name, or `InvalidRequest`."""
    if not isinstance(name, str) or not PROMPT_NAME_PATTERN.match(name):
        raise InvalidRequest(f"{shown(name)} is not a prompt name: {NAME_RULE}", param=param)
    return name


def check_label(label: object, param: str = "label") -> str:
    """A label name: a prompt name that does not look like a version, or `InvalidRequest`."""
    if not isinstance(label, str) or not PROMPT_NAME_PATTERN.match(label):
        raise InvalidRequest(f"{shown(label)} is not a label name: {NAME_RULE}", param=param)
    if VERSION_LIKE.match(label):
        raise InvalidRequest(
            f"{shown(label)} looks like a version, so it cannot be a label (NAME@{label} "
            "names that version)",
            param=param,
        )
    return label


def parse_version(text: object, param: str = "version") -> int:
    """`3` or `v3` → 3."""
    found = VERSION_TOKEN.match(text) if isinstance(text, str) else None
    if found is None:
        raise InvalidRequest(
            f"{shown(text)} is not a version: give its number, as 3 or v3", param=param
        )
    return int(found.group(1))


@dataclass(frozen=True, slots=True)
class PromptRef:
    """What a reference names: a prompt's latest version, one version, or what a label points
    at."""

    name: str
    version: int | None = None
    label: str | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}@v{self.version}"
        if self.label is not None:
            return f"{self.name}@{self.label}"
        return self.name


def parse_ref(text: object, param: str = "ref") -> PromptRef:
    """`NAME` (its latest version), `NAME@v3` or `NAME@3` (that version), `NAME@LABEL`."""
    if not isinstance(text, str):
        raise InvalidRequest(f"{shown(text)} is not a prompt reference", param=param)
    name, at, selector = text.partition("@")
    check_prompt_name(name, param)
    if not at:
        return PromptRef(name)
    if VERSION_TOKEN.match(selector):
        return PromptRef(name, version=parse_version(selector, param))
    if VERSION_LIKE.match(selector):
        raise InvalidRequest(
            f"{shown(selector)} is not a version: versions are numbered from 1, as 3 or v3",
            param=param,
        )
    if not selector:
        raise InvalidRequest(
            f"{shown(text)}: after '@' give a version (3, v3) or a label", param=param
        )
    return PromptRef(name, label=check_label(selector, param))


def parse_split(text: str, param: str = "split") -> tuple[LabelTarget, ...]:
    """`3:90,4:10` (or `v3:90,v4:10`) → versions with relative weights."""
    targets = []
    for part in text.split(","):
        version, colon, weight = part.strip().partition(":")
        if not colon:
            raise InvalidRequest(
                f"split part {shown(part.strip())}: write VERSION:WEIGHT, as 3:90,4:10",
                param=param,
            )
        targets.append(LabelTarget(parse_version(version.strip(), param), _weight(weight, param)))
    return check_targets(targets, param)


def check_targets(targets: list[LabelTarget], param: str = "targets") -> tuple[LabelTarget, ...]:
    """One to `MAX_SPLIT` targets, each version once."""
    if not targets:
        raise InvalidRequest("a label points at one version at least", param=param)
    if len(targets) > MAX_SPLIT:
        raise InvalidRequest(
            f"a label splits traffic between at most {MAX_SPLIT} versions, not {len(targets)}",
            param=param,
        )
    numbers = [target.version for target in targets]
    repeated = sorted({number for number in numbers if numbers.count(number) > 1})
    if repeated:
        listed = ", ".join(f"v{number}" for number in repeated)
        raise InvalidRequest(f"a split names each version once; repeated: {listed}", param=param)
    for target in targets:
        if target.weight > MAX_WEIGHT:
            raise InvalidRequest(
                f"a weight is a whole number from 1 to {MAX_WEIGHT}, not {target.weight}",
                param=param,
            )
    return tuple(targets)


def describe_targets(targets: tuple[LabelTarget, ...]) -> str:
    """`v3`, or `v3 (90), v4 (10)` for a split; `nothing` for a removed label."""
    if not targets:
        return "nothing"
    if len(targets) == 1:
        return f"v{targets[0].version}"
    return ", ".join(f"v{target.version} ({target.weight})" for target in targets)


def _weight(text: str, param: str) -> int:
    text = text.strip()
    if not _DIGITS.match(text) or not 1 <= int(text) <= MAX_WEIGHT:
        raise InvalidRequest(
            f"weight {shown(text)}: give a whole number from 1 to {MAX_WEIGHT}", param=param
        )
    return int(text)
