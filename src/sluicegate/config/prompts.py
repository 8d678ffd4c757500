"""Settings for the prompt registry: which labels only admins may move, which move only with a
passing evaluation, and how quickly gateways notice a label that moved."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from sluicegate.config.strict import Strict

LABEL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
"""The registry's name rule (`core.prompts.PROMPT_NAME_PATTERN`; a test keeps the two equal)."""
VERSION_LIKE = re.compile(r"^[vV]?[0-9]+$")
"""What a version looks like (`3`, `v3`, `007`); no label may, so `NAME@v3` is never ambiguous
(the admin layer's rule; a test keeps the two equal)."""


class PromptSettings(Strict):
    protected_labels: tuple[str, ...] = ("production",)
    """Labels only an admin may move or remove; other labels may also be moved by operators.
    Empty: every label may be moved by whoever may write prompts."""
    refresh_seconds: float = Field(default=2.0, gt=0, le=5)
    """How often a gateway reloads every label from the database: a label moved on any
    replica (or with the command line) is in effect everywhere within this time."""
    user_header: str = Field(default="x-sluicegate-user", pattern=r"^[A-Za-z0-9-]{1,64}$")
    """The request header that names the end user when the body has no `user`: a label that
    splits traffic keeps each user on one version."""
    require_evaluation: tuple[str, ...] = ()
    """Labels that move only with a passing, published evaluation run (admins included): the
    run's baseline is what the label serves now and one candidate is the new version, not
    significantly worse on any gated metric. Empty: no label needs one."""
    gated_metrics: tuple[str, ...] = ()
    """The metrics a promotion's run is judged on when the promotion names none; empty: every
    metric of the run."""

    @field_validator("protected_labels", "require_evaluation")
    @classmethod
    def _labels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for label in value:
            if not LABEL_PATTERN.match(label) or VERSION_LIKE.match(label):
                raise ValueError(
                    f"label {label[:40]!r} is not a label name: 1 to 128 letters, digits, '.', "
                    "'_' or '-', starting with a letter or digit, and not a version (3, v3)"
                )
        if len(set(value)) != len(value):
            raise ValueError("labels must not repeat")
        return value

    @field_validator("gated_metrics")
    @classmethod
    def _metrics(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for metric in value:
            if not metric.strip() or len(metric) > 200:
                raise ValueError(
                    f"metric {metric[:40]!r} is not a metric name: 1 to 200 characters"
                )
        if len(set(value)) != len(value):
            raise ValueError("metrics must not repeat")
        return value
