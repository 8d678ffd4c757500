"""How an admin endpoint is declared and served: one table drives both the routes and the
OpenAPI document.

Each request is authenticated first (a caller without a valid key learns nothing else), then
its role is checked against what the endpoint does (`read` or `write`), then its query string
and body are parsed through the endpoint's pydantic models. Every refusal is a `GatewayError`
rendered in OpenAI's error shape; input can never cause a 500.

An answer is one JSON document, or `Lines`: JSON Lines streamed as they are produced, for
exports too large to build in memory.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from sluicegate.core.errors import (
    GatewayError,
    InternalError,
    InvalidRequest,
    MethodNotAllowed,
    PayloadTooLarge,
    PermissionDenied,
)
from sluicegate.core.identity import Principal, Role
from sluicegate.server.admin.schemas import RequestModel, ResponseModel
from sluicegate.server.errors import error_response
from sluicegate.server.ids import id_headers

log = logging.getLogger("sluicegate.admin")

Access = Literal["read", "author", "write"]
"""`read`: admins and operators; `author` (writing prompts): admins and operators, with the
admin layer deciding what only admins may do (moving a protected label); `write`: admins
only."""
ANONYMOUS_ACTOR = "anonymous"
_JSON = "application/json"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Call:
    """One admitted request: who is asking and what they sent, already parsed."""

    request: web.Request
    principal: Principal
    body: RequestModel | None
    query: RequestModel | None

    @property
    def actor(self) -> str:
        """Who the audit log names: `key:<id>`, `jwt:<subject>`, or `anonymous`."""
        return actor_of(self.principal)

    def path(self, name: str) -> str:
        return self.request.match_info[name]

    def body_as(self, model: type[M]) -> M:
        assert isinstance(self.body, model), f"{self.request.path} has no {model.__name__} body"
        return self.body

    def query_as(self, model: type[M]) -> M:
        assert isinstance(self.query, model), f"{self.request.path} has no {model.__name__} query"
        return self.query


@dataclass(frozen=True, slots=True)
class Lines:
    """A streamed answer: each item is one line (newline included), written as it comes."""

    lines: AsyncGenerator[bytes, None]
    media_type: str = "application/x-ndjson"


@dataclass(frozen=True, slots=True)
class Answer:
    body: ResponseModel | Mapping[str, Any] | Lines
    status: int = 200


Handler = Callable[[Call], Awaitable[Answer]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One operation of the admin API, as served and as documented."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    handler: Handler
    summary: str
    access: Access
    tag: str
    response: type[ResponseModel] | None
    """None: a free-form JSON object (the OpenAPI document itself). For a `Lines` answer:
    the model of one line."""
    body: type[RequestModel] | None = None
    query: type[RequestModel] | None = None
    status: int = 200
    other_statuses: tuple[int, ...] = ()
    """Further success statuses (PUT answers 201 when it creates)."""
    refusals: tuple[int, ...] = ()
    """Error statuses beyond the ones every endpoint may answer (400, 401, 403)."""
    description: str = ""
    operation_id: str = ""
    """Unique in the document; derived from the method and path when empty."""
    media_type: str = _JSON
    """What a success answer is: JSON, or for a `Lines` answer its line format."""


def actor_of(principal: Principal) -> str:
    if principal.via == "key":
        return f"key:{principal.subject}"
    if principal.via == "jwt":
        return f"jwt:{principal.subject}"
    return ANONYMOUS_ACTOR


class Guard:
    """Who may do what: admins everything, operators reads and prompt authoring, apps
    nothing."""

    __slots__ = ("_anonymous", "_authenticate")

    def __init__(
        self,
        authenticate: Callable[[Mapping[str, str]], Awaitable[Principal]] | None,
        anonymous_team: str = ANONYMOUS_ACTOR,
    ) -> None:
        """`authenticate=None` admits every caller as an anonymous admin (auth off and the
        admin API explicitly served anyway)."""
        self._authenticate = authenticate
        self._anonymous = Principal(
            ANONYMOUS_ACTOR, anonymous_team, Role.ADMIN, via=ANONYMOUS_ACTOR
        )

    async def admit(self, headers: Mapping[str, str], access: Access) -> Principal:
        if self._authenticate is None:
            return self._anonymous
        principal = await self._authenticate(headers)
        if principal.role is Role.ADMIN:
            return principal
        if principal.role is Role.OPERATOR:
            if access in ("read", "author"):
                return principal
            raise PermissionDenied(
                "The role 'operator' may read the admin API and write prompts but not change "
                "anything else; use a key or token with the role 'admin'."
            )
        raise PermissionDenied(
            f"The role '{principal.role}' may call models but not use the admin API; use a key "
            "or token with the role 'admin' (or 'operator' to read)."
        )


def serve(
    endpoint: Endpoint, guard: Guard
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler of one endpoint."""

    async def handle(request: web.Request) -> web.StreamResponse:
        headers = id_headers()
        try:
            principal = await guard.admit(request.headers, endpoint.access)
            query = _parse(endpoint.query, dict(request.query), "query parameter")
            body = await _read_body(request) if endpoint.body is not None else None
            parsed = _parse(endpoint.body, body, "field")
            answer = await endpoint.handler(Call(request, principal, parsed, query))
            if isinstance(answer.body, Lines):
                return await _stream(request, answer.body, answer.status, headers)
            return _respond(endpoint, answer, headers)
        except GatewayError as error:
            return error_response(error, headers)
        except web.HTTPException:
            raise
        except Exception:
            request_id = headers["x-request-id"]
            log.exception(
                "admin request %s %s failed (%s)", request.method, request.path, request_id
            )
            failure = InternalError(f"The admin API failed unexpectedly; request id {request_id}.")
            return error_response(failure, headers)

    return handle


def method_not_allowed(allowed: list[str]) -> Callable[[web.Request], Awaitable[web.Response]]:
    """For a known admin path asked with a method it does not serve."""

    async def handle(request: web.Request) -> web.Response:
        error = MethodNotAllowed(
            f"{request.method} is not allowed on {request.path}; use {' or '.join(allowed)}."
        )
        error.headers["Allow"] = ", ".join(allowed)
        return error_response(error, id_headers())

    return handle


async def _read_body(request: web.Request) -> object:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge("The request body is larger than this gateway accepts.") from None
    if not raw.strip():
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise InvalidRequest(
            f"The request body is not valid JSON ({error}).", code="invalid_json"
        ) from None


def _parse(model: type[RequestModel] | None, data: object, what: str) -> RequestModel | None:
    if model is None:
        return None
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object.", code="invalid_json")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid(error, what) from None


def invalid(error: ValidationError, what: str = "field") -> InvalidRequest:
    """The first problem pydantic found, naming the field; never the value that was sent."""
    problem = error.errors(include_url=False, include_input=False)[0]
    param = ".".join(str(part) for part in problem["loc"]) or None
    kind = problem["type"]
    if kind == "extra_forbidden":
        message = f"Unknown {what} '{param}'."
    elif kind == "missing":
        message = f"The {what} '{param}' is required."
    else:
        text = str(problem["msg"]).removeprefix("Value error, ")
        message = f"{param}: {text}." if param else f"{text}."
    return InvalidRequest(message.replace("..", "."), param=param)


async def _stream(
    request: web.Request, answer: Lines, status: int, headers: dict[str, str]
) -> web.StreamResponse:
    """Write `answer`'s lines as they come.

    The first line is produced before the status goes out, so a failure to start (the database
    is down) is still an ordinary error answer. A failure later can only cut the answer short:
    the connection is closed without the end of the chunked body, which HTTP clients report as
    an incomplete answer rather than taking it for the whole.
    """
    async with aclosing(answer.lines) as lines:
        first = await anext(lines, None)
        headers["Cache-Control"] = "no-store"
        response = web.StreamResponse(status=status, headers=headers)
        response.content_type = answer.media_type
        await response.prepare(request)
        try:
            if first is not None:
                await response.write(first)
                async for line in lines:
                    await response.write(line)
        except ConnectionError:
            return response  # the client left
        except Exception:
            log.exception(
                "admin answer %s %s failed after it started (%s); cut short",
                request.method,
                request.path,
                headers["x-request-id"],
            )
            if request.transport is not None:
                request.transport.close()
            return response
    await response.write_eof()
    return response


def _respond(endpoint: Endpoint, answer: Answer, headers: dict[str, str]) -> web.Response:
    body = answer.body
    assert not isinstance(body, Lines), f"{endpoint.path}: lines are streamed, not sent whole"
    if isinstance(body, BaseModel):
        expected = endpoint.response
        assert expected is not None, f"{endpoint.method} {endpoint.path} documents no body"
        assert isinstance(body, expected), f"{endpoint.path} answered {type(body).__name__}"
        payload = orjson.dumps(body.model_dump(mode="json", by_alias=True))
    else:
        payload = orjson.dumps(dict(body))
    # Answers may hold a new key, and are the state of the moment: no cache may keep them.
    headers["Cache-Control"] = "no-store"
    return web.Response(status=answer.status, body=payload, content_type=_JSON, headers=headers)
