"""Reading the command line with the domain's own parsers and checks, so that the CLI refuses
exactly what the admin API refuses: whatever they reject is bad input (exit 2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sluicegate.cli.store_access import usage_error
from sluicegate.core.errors import InvalidRequest

T = TypeVar("T")


def checked(make: Callable[[], T]) -> T:
    """Build a spec or parse an argument with the admin layer's rules; its refusal's message
    is the usage error."""
    try:
        return make()
    except InvalidRequest as error:
        usage_error(error.message)


def parsed(option: str, value: str, parse: Callable[[str], T]) -> T:
    """`parse(value)`; a ValueError names the option and the value given."""
    try:
        return parse(value)
    except ValueError as error:
        usage_error(f"{option} {value!r}: {error}")
