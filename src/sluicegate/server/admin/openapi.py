"""The admin API's OpenAPI 3.1 document, generated from the endpoint table and its models.

Nothing here is written by hand per endpoint: paths, parameters, bodies and answers come from
the same `Endpoint` entries and pydantic models the server uses, so the document describes
exactly the routes that are mounted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from sluicegate.server.admin.endpoints import Endpoint
from sluicegate.server.admin.schemas import ErrorBody

OPENAPI_VERSION = "3.1.0"
_REF = "#/components/schemas/{model}"
_PATH_PARAMETER = re.compile(r"{(\w+)}")
_ERRORS = {
    400: "The body or a parameter is not valid; `error.param` names it.",
    401: "No valid key or token was sent.",
    403: "The caller's role may not do this (operators read and write prompts, but move no "
    "protected label; apps may not use /admin).",
    404: "No such object.",
    409: "The action clashes with what is stored.",
}
_SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A gateway key (`sg-…`) or a JWT from a trusted issuer.",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "api-key",
        "description": "A gateway key, as Azure OpenAI clients send it.",
    },
}


def openapi_document(
    endpoints: Sequence[Endpoint], *, version: str, authenticated: bool = True
) -> dict[str, Any]:
    """The document for `endpoints`; `authenticated=False` when every caller is admitted."""
    refs, schemas = _schemas(endpoints)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, refs)
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "sluicegate admin API",
            "version": version,
            "description": "Keys, teams, blocklists, prompts, evaluation datasets and runs, "
            "quotas, usage, backends and the audit log. Admins may do everything, operators may "
            "read, and write prompts, datasets and runs (`x-sluicegate-access: author`) but move "
            "no protected label, apps may not use it. "
            "Errors use OpenAI's error shape.",
        },
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": _SECURITY_SCHEMES},
        "security": [{"bearer": []}, {"apiKey": []}] if authenticated else [],
    }
    return document


Refs = dict[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]]


def _schemas(endpoints: Sequence[Endpoint]) -> tuple[Refs, dict[str, Any]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
        (ErrorBody, "serialization"): None
    }
    for endpoint in endpoints:
        if endpoint.body is not None:
            wanted[(endpoint.body, "validation")] = None
        if endpoint.response is not None:
            wanted[(endpoint.response, "serialization")] = None
    generated, top = models_json_schema(list(wanted), ref_template=_REF)
    refs: Refs = {pair: generated[pair] for pair in wanted}
    return refs, dict(top.get("$defs", {}))


def _operation(endpoint: Endpoint, refs: Refs) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": endpoint.operation_id or _operation_id(endpoint),
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "x-sluicegate-access": endpoint.access,
    }
    if endpoint.description:
        operation["description"] = endpoint.description
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAMETER.findall(endpoint.path)
    ]
    if endpoint.query is not None:
        parameters.extend(_query_parameters(endpoint.query))
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": refs[(endpoint.body, "validation")]}},
        }
    answer = (
        refs[(endpoint.response, "serialization")]
        if endpoint.response is not None
        else {"type": "object"}
    )
    responses: dict[str, Any] = {}
    for status in (endpoint.status, *endpoint.other_statuses):
        responses[str(status)] = {
            "description": "OK" if status == 200 else "Created",
            "content": {endpoint.media_type: {"schema": answer}},
        }
    error = refs[(ErrorBody, "serialization")]
    for status in sorted({400, 401, 403, *endpoint.refusals}):
        responses[str(status)] = {
            "description": _ERRORS.get(status, "Refused."),
            "content": {"application/json": {"schema": error}},
        }
    operation["responses"] = responses
    return operation


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(by_alias=True, ref_template=_REF, mode="validation")
    required = set(schema.get("required", ()))
    parameters = []
    for name, field_schema in schema.get("properties", {}).items():
        field_schema = dict(field_schema)
        description = field_schema.pop("description", None)
        field_schema.pop("title", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": field_schema,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _operation_id(endpoint: Endpoint) -> str:
    words = [part for part in re.split(r"[/{}_]+", endpoint.path) if part and part != "admin"]
    return "_".join([_VERBS[endpoint.method], *words])


_VERBS: dict[Literal["GET", "POST", "PUT", "PATCH", "DELETE"], str] = {
    "GET": "get",
    "POST": "post",
    "PUT": "put",
    "PATCH": "patch",
    "DELETE": "delete",
}
