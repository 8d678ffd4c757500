"""The one error of the planner: an input file that cannot be used."""

from __future__ import annotations


class PlanInputError(Exception):
    """A traffic profile, usage log or capacity table that cannot be used; the message names
    the file, the line or field, and the fix."""
