"""Prompty files: YAML front matter (name, model, inputs, sample...) and a Jinja2 template body.

Written here rather than taken from the `prompty` package, whose loader is built for a developer's
working copy, not for text stored in a server: it reads `prompty.json` from the current directory
and its parents, resolves `${env:...}` from the process environment and `${file:...}` from disk,
reads YAML with the full (non-safe) loader, and splits the front matter at the first `---`
anywhere in the text. Here parsing is a pure function of the text: nothing is read, `${env:VAR}`
stays text for whoever sends the request to resolve (or not), and the YAML is read strictly.

Both generations of the format are read: `model.configuration` / `model.parameters` (and their
newer names `connection` / `options`), a top-level `sample`, and inputs written in full
(`name: {type, description, default, sample}`), as a list of such entries with a `name`, or in
shorthand (`name: <sample value>`, the type taken from the value). Without `inputs`, the keys of
`sample` are the inputs, each required, as the prompty runtime reads them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from sluicegate.prompts.errors import PromptRenderError, PromptyError
from sluicegate.prompts.frontmatter import (
    LoadedYaml,
    load_front_matter,
    split_front_matter,
)
from sluicegate.prompts.inputs import JSON_TYPES, PromptInput, json_type_name, matches_type
from sluicegate.prompts.template import compile_template, template_variables

__all__ = ["ModelSpec", "Prompty", "PromptyError", "dump_prompty", "parse_prompty"]

APIS: tuple[str, ...] = ("chat", "completion")
TEMPLATE_FORMATS: tuple[str, ...] = ("jinja2",)
_FILE_REFERENCE = "${file:"
_UNSUPPORTED_KEYS: tuple[str, ...] = ("inputSchema", "outputSchema", "kind")


@dataclass(frozen=True)
class ModelSpec:
    """How to call the model: the API shape, connection settings and request parameters."""

    api: str = "chat"
    configuration: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Prompty:
    """A parsed prompty file. Treat the mappings as read-only: parsed prompts are shared."""

    name: str
    description: str = ""
    model: ModelSpec = field(default_factory=ModelSpec)
    inputs: tuple[PromptInput, ...] = ()
    outputs: Mapping[str, Any] = field(default_factory=dict)
    sample: Mapping[str, Any] = field(default_factory=dict)
    template_format: str = "jinja2"
    body: str = ""
    front_matter: Mapping[str, Any] = field(default_factory=dict)


def parse_prompty(text: str) -> Prompty:
    """Parse a prompty source; any problem is a `PromptyError` naming the line."""
    split = split_front_matter(text)
    loaded = (
        load_front_matter(split.yaml_text, split.yaml_line)
        if split.yaml_text is not None
        else LoadedYaml({}, None, 1)
    )
    fm = loaded.data
    for key in _UNSUPPORTED_KEYS:
        if key in fm:
            raise PromptyError(
                f"'{key}' belongs to a newer prompty format that is not supported; "
                "declare 'inputs' and 'model' as described in docs/prompts.md",
                line=loaded.line_of([key]),
            )
    name = _text(loaded, "name")
    description = _text(loaded, "description")
    model = _model(loaded)
    template_format = _template_format(loaded)
    sample = _sample(loaded)
    if "inputs" in fm:
        inputs, input_samples = _inputs(loaded)
        sample = {**input_samples, **sample}
    else:
        inputs = tuple(PromptInput(key, _inferred_type(value)) for key, value in sample.items())
    outputs = _outputs(loaded)
    _check_template(split.body, split.body_line, inputs)
    return Prompty(
        name=name,
        description=description,
        model=model,
        inputs=inputs,
        outputs=outputs,
        sample=sample,
        template_format=template_format,
        body=split.body,
        front_matter=fm,
    )


def _check_template(body: str, body_line: int, inputs: Sequence[PromptInput]) -> None:
    """The body must compile, and read no variable that is not a declared input."""
    try:
        compile_template(body)
        used = template_variables(body)
    except PromptRenderError as exc:
        line = body_line + exc.line - 1 if exc.line is not None else body_line
        raise PromptyError(exc.reason, line=line) from None
    declared = {item.name for item in inputs}
    undeclared = sorted((line, name) for name, line in used.items() if name not in declared)
    if undeclared:
        names = ", ".join(name for _, name in undeclared)
        raise PromptyError(
            f"the template reads {names}, not declared under 'inputs' (or 'sample')",
            line=body_line + undeclared[0][0] - 1,
        )


def _text(loaded: LoadedYaml, key: str) -> str:
    value = loaded.data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PromptyError(
            f"'{key}' must be text, not {json_type_name(value)}", line=loaded.line_of([key])
        )
    return value


def _mapping(loaded: LoadedYaml, path: Sequence[str], value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        where = ".".join(path)
        raise PromptyError(
            f"'{where}' must be a mapping, not {json_type_name(value)}", line=loaded.line_of(path)
        )
    return value


def _model(loaded: LoadedYaml) -> ModelSpec:
    model = _mapping(loaded, ["model"], loaded.data.get("model"))
    api = model.get("api", "chat")
    if api not in APIS:
        raise PromptyError(
            f"model.api must be one of {', '.join(APIS)}, not {api!r}",
            line=loaded.line_of(["model", "api"]),
        )
    sections: dict[str, dict[str, Any]] = {}
    for key, alias in (("configuration", "connection"), ("parameters", "options")):
        if key in model and alias in model:
            raise PromptyError(
                f"model has both '{key}' and '{alias}' (the newer name of the same thing)",
                line=loaded.line_of(["model", alias]),
            )
        used = key if key in model else alias
        sections[key] = _mapping(loaded, ["model", used], model.get(used))
    return ModelSpec(
        api=api, configuration=sections["configuration"], parameters=sections["parameters"]
    )


def _template_format(loaded: LoadedYaml) -> str:
    template = loaded.data.get("template")
    if template is None:
        return "jinja2"
    if isinstance(template, dict):
        fmt = template.get("format", template.get("type", "jinja2"))
    else:
        fmt = template
    if fmt not in TEMPLATE_FORMATS:
        raise PromptyError(
            f"template format {fmt!r} is not supported (only jinja2)",
            line=loaded.line_of(["template"]),
        )
    return "jinja2"


def _sample(loaded: LoadedYaml) -> dict[str, Any]:
    sample = loaded.data.get("sample")
    if isinstance(sample, str) and sample.strip().startswith(_FILE_REFERENCE):
        raise PromptyError(
            f"sample refers to a file ({sample.strip()}); a stored prompt has no files beside "
            "it, so write the sample inline as a mapping",
            line=loaded.line_of(["sample"]),
        )
    return _mapping(loaded, ["sample"], sample)


def _inferred_type(value: Any) -> str:
    """The type prompty gives an input from its sample value (any number is a `number`)."""
    kind = json_type_name(value)
    if kind in ("integer", "number"):
        return "number"
    return kind if kind in JSON_TYPES else "any"


def _inputs(loaded: LoadedYaml) -> tuple[tuple[PromptInput, ...], dict[str, Any]]:
    raw = loaded.data["inputs"]
    entries: list[tuple[str, Any, list[str | int]]] = []
    if raw is None:
        return (), {}
    if isinstance(raw, dict):
        entries = [(key, value, ["inputs", key]) for key, value in raw.items()]
    elif isinstance(raw, list):
        for index, item in enumerate(raw):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str) or not name:
                raise PromptyError(
                    "each entry of the inputs list needs a 'name'",
                    line=loaded.line_of(["inputs", index]),
                )
            entries.append((name, item, ["inputs", index]))
    else:
        raise PromptyError(
            f"'inputs' must be a mapping or a list, not {json_type_name(raw)}",
            line=loaded.line_of(["inputs"]),
        )
    inputs: list[PromptInput] = []
    samples: dict[str, Any] = {}
    seen: set[str] = set()
    for name, spec, path in entries:
        if name in seen:
            raise PromptyError(f"input {name!r} is declared twice", line=loaded.line_of(path))
        seen.add(name)
        if isinstance(spec, dict):
            item, sample = _full_input(loaded, name, spec, path)
        else:
            item, sample = PromptInput(name, _inferred_type(spec)), spec
        inputs.append(item)
        if sample is not None:
            samples[name] = sample
    return tuple(inputs), samples


def _full_input(
    loaded: LoadedYaml, name: str, spec: dict[str, Any], path: list[str | int]
) -> tuple[PromptInput, Any]:
    sample = spec.get("sample")
    kind = spec.get("type")
    if kind is None:
        if sample is not None:
            kind = _inferred_type(sample)
        elif spec.get("default") is not None:
            kind = _inferred_type(spec["default"])
        else:
            raise PromptyError(
                f"input {name!r} needs a 'type' (or a sample or default to take it from)",
                line=loaded.line_of(path),
            )
    if kind not in JSON_TYPES:
        raise PromptyError(
            f"input {name!r} has unknown type {kind!r} (use one of {', '.join(JSON_TYPES)})",
            line=loaded.line_of([*path, "type"]),
        )
    description = spec.get("description", "")
    if description is None:
        description = ""
    if not isinstance(description, str):
        raise PromptyError(
            f"the description of input {name!r} must be text",
            line=loaded.line_of([*path, "description"]),
        )
    has_default = "default" in spec
    default = spec.get("default")
    if has_default and default is not None and not matches_type(default, kind):
        raise PromptyError(
            f"the default of input {name!r} is {json_type_name(default)}, not {kind}",
            line=loaded.line_of([*path, "default"]),
        )
    required = spec.get("required")
    if required is False and not has_default:
        has_default = True
    elif required is True:
        has_default, default = False, None
    return PromptInput(name, kind, description, default, has_default), sample


def _outputs(loaded: LoadedYaml) -> dict[str, Any]:
    raw = loaded.data.get("outputs")
    if isinstance(raw, list):
        outputs: dict[str, Any] = {}
        for index, item in enumerate(raw):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str) or not name:
                raise PromptyError(
                    "each entry of the outputs list needs a 'name'",
                    line=loaded.line_of(["outputs", index]),
                )
            outputs[name] = {k: v for k, v in item.items() if k != "name"}
        return outputs
    return _mapping(loaded, ["outputs"], raw)


# --- writing -----------------------------------------------------------------------------------


def canonical_front_matter(prompty: Prompty) -> dict[str, Any]:
    """The front matter that describes `prompty` exactly, in one spelling per meaning.

    Inputs are written in full form, the model with its older key names, samples at the top;
    keys this module does not interpret (authors, version, tags...) are kept as they were.
    """
    original = dict(prompty.front_matter)
    model: dict[str, Any] = {
        k: v
        for k, v in _plain(original.get("model") or {}).items()
        if k not in ("api", "configuration", "connection", "parameters", "options")
    }
    model = {"api": prompty.model.api, **model}
    if prompty.model.configuration:
        model["configuration"] = _plain(prompty.model.configuration)
    if prompty.model.parameters:
        model["parameters"] = _plain(prompty.model.parameters)
    known: dict[str, Any] = {"name": prompty.name}
    if prompty.description:
        known["description"] = prompty.description
    known["model"] = model
    if prompty.inputs:
        known["inputs"] = {item.name: _input_spec(item) for item in prompty.inputs}
    if prompty.outputs:
        known["outputs"] = _plain(prompty.outputs)
    if prompty.sample:
        known["sample"] = _plain(prompty.sample)
    if prompty.template_format != "jinja2" or "template" in original:
        known["template"] = prompty.template_format
    result = dict(known)
    for key, value in original.items():
        if key not in result and key not in ("description", "inputs", "outputs", "sample"):
            result[key] = _plain(value)
    return result


def _input_spec(item: PromptInput) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": item.type}
    if item.description:
        spec["description"] = item.description
    if item.has_default:
        spec["default"] = _plain(item.default)
    return spec


def _plain(value: Any) -> Any:
    """`value` as plain dicts and lists of YAML/JSON scalars (tuples and read-only views too)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise PromptyError(f"cannot write a value of type {type(value).__name__} in front matter")


def _represent_text(dumper: yaml.representer.BaseRepresenter, data: Any) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


class _Dumper(yaml.SafeDumper):
    """Writes multi-line text as `|` blocks so a dumped prompt stays readable."""

    yaml_representers = {**yaml.SafeDumper.yaml_representers, str: _represent_text}  # noqa: RUF012


def to_yaml(data: Mapping[str, Any], *, sort_keys: bool = False) -> str:
    """Block-style YAML text for front matter (unicode kept as is)."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=sort_keys,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def dump_prompty(prompty: Prompty) -> str:
    """A prompty source for `prompty`; parsing it gives back the same prompt.

    Raises `PromptyError` if the parts do not make a valid prompt.
    """
    text = f"---\n{to_yaml(canonical_front_matter(prompty))}---\n{prompty.body}"
    parse_prompty(text)
    return text
