"""The one error a user can cause while evaluators are built: a spec that names no evaluator, a
schema file that is not a schema, a custom function that cannot be loaded. Scoring itself never
raises for a bad answer; it returns a Score with value None and the reason."""

from __future__ import annotations


class EvaluatorSpecError(ValueError):
    """An evaluator spec cannot be turned into an evaluator; the message says why and how."""
