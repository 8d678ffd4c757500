"""Compiling and rendering a prompt body with Jinja2, sandboxed.

Templates are data written by whoever may publish prompts, rendered with values sent by end users,
so they run in Jinja's immutable sandbox (no access to Python internals such as `__class__`, no
mutation of inputs), undefined names are errors (StrictUndefined) rather than empty text, and
nothing is HTML-escaped (a prompt is not a web page). Otherwise Jinja's defaults apply, as in the
prompty runtime, so a file renders the same text here as there.

Compiling is the slow part, so compiled templates are memoised by source text: a bounded cache of
a pure function, whose hits cannot be told from misses except by their speed.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from sluicegate.prompts.errors import PromptRenderError
from sluicegate.prompts.roles import guard_value

CACHE_SIZE = 512
_TEMPLATE_FILE = "<template>"


@functools.cache
def _environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        finalize=guard_value,
        cache_size=0,
    )


@functools.lru_cache(maxsize=CACHE_SIZE)
def compile_template(source: str) -> jinja2.Template:
    """The compiled template for `source`; a syntax error is a `PromptRenderError` with a line."""
    try:
        return _environment().from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_error(exc) from None
    except RecursionError:
        raise _too_deep() from None


@functools.lru_cache(maxsize=CACHE_SIZE)
def template_variables(source: str) -> Mapping[str, int]:
    """The names `source` reads from its variables, each with the first line that reads it.

    Raises `PromptRenderError` for a template that refers to other templates: a stored prompt
    stands alone (and the environment has no loader to find them).
    """
    environment = _environment()
    try:
        tree = environment.parse(source)
        free = meta.find_undeclared_variables(tree)
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_error(exc) from None
    except RecursionError:
        raise _too_deep() from None
    for other in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        reason = "a prompt template cannot extend, include or import other templates"
        raise PromptRenderError(f"{reason} (line {other.lineno})", other.lineno, reason)
    lines: dict[str, int] = {}
    for node in tree.find_all(nodes.Name):
        if node.name in free and node.ctx == "load":
            lines[node.name] = min(lines.get(node.name, node.lineno), node.lineno)
    return MappingProxyType(lines)


def _syntax_error(exc: jinja2.TemplateSyntaxError) -> PromptRenderError:
    reason = f"template syntax error: {exc.message}"
    return PromptRenderError(
        f"template syntax error at line {exc.lineno}: {exc.message}", exc.lineno, reason
    )


def _too_deep() -> PromptRenderError:
    reason = "template is nested too deeply"
    return PromptRenderError(reason, None, reason)


def _template_line(exc: BaseException) -> int | None:
    """The template line a rendering error happened on (Jinja maps its frames to the source)."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == _TEMPLATE_FILE:
            line = frame.lineno
    return line


def render_template(source: str, variables: Mapping[str, Any]) -> str:
    """Render `source` with `variables`; every failure is a `PromptRenderError` naming the line."""
    template = compile_template(source)
    try:
        return template.render(variables)
    except SecurityError as exc:
        line = _template_line(exc)
        raise PromptRenderError(
            f"template refused an unsafe operation{_at(line)}: {exc}", line=line
        ) from None
    except jinja2.UndefinedError as exc:
        line = _template_line(exc)
        raise PromptRenderError(
            f"template uses an undefined value{_at(line)}: {exc.message}", line=line
        ) from None
    except jinja2.TemplateError as exc:
        line = _template_line(exc)
        raise PromptRenderError(f"template error{_at(line)}: {exc.message}", line=line) from None
    except Exception as exc:
        line = _template_line(exc)
        raise PromptRenderError(
            f"template failed{_at(line)}: {type(exc).__name__}: {exc}", line=line
        ) from None


def _at(line: int | None) -> str:
    return f" at line {line}" if line is not None else ""
