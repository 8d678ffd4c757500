"""`POST /v1/feedback` (and `/openai/v1/feedback`): users rate the replies they got.

A rating names a request by the `x-request-id` its reply carried. Callers prove who they are
as for model calls (an API key or a JWT), or with the feedback token the reply carried
(`feedback.tokens`), which rates that one request and needs no key. Only the consumer that
made the request (its usage record's subject) or an admin may rate it; with authentication off
anyone may rate any request the ledger knows. The answer is the stored rating: 201 when it is
new, 200 when it changed an earlier one by the same rater.

Browser front ends on other origins are let in by `feedback.cors_origins` (a preflight
`OPTIONS` is answered for those origins only).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from aiohttp import web

from sluicegate.admin.moments import show_moment
from sluicegate.config.feedback import FeedbackSettings
from sluicegate.core.clock import Clock
from sluicegate.core.errors import (
    GatewayError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
)
from sluicegate.core.feedback import FeedbackRecord, FeedbackStore, RequestLookup
from sluicegate.core.identity import Principal, Role
from sluicegate.policies.feedback_tokens import TOKEN_HEADER, FeedbackTokens, InvalidFeedbackToken
from sluicegate.policies.usage import ANONYMOUS
from sluicegate.server.errors import error_response
from sluicegate.server.feedback_body import parse_feedback
from sluicegate.server.ids import REQUEST_ID, id_headers

log = logging.getLogger("sluicegate.feedback")

FEEDBACK_PATHS = ("/v1/feedback", "/openai/v1/feedback")
Authenticate = Callable[[Mapping[str, str]], Awaitable[Principal]]
_ALLOWED_HEADERS = f"Content-Type, Authorization, api-key, {TOKEN_HEADER}"
_PREFLIGHT_MAX_AGE = "600"


class FeedbackUnavailable(GatewayError):
    """Feedback is joined with the usage ledger; without the ledger there is nothing to join."""

    status = 501
    error_type = "invalid_request_error"
    code = "feedback_unavailable"


@dataclass(frozen=True, slots=True)
class Rater:
    """Who is rating, and what they may rate."""

    name: str
    """Stored as the rating's rater: the key id or token subject (`anonymous` without auth)."""
    consumer: str | None
    """The consumer whose requests they may rate; None: any request (admins, auth off)."""
    request_id: str | None = None
    """Set for a feedback token: the one request it may rate."""


class FeedbackApi:
    """The feedback endpoint's handlers. `store` and `lookup` are None while the usage ledger
    is off; `authenticate` is None while authentication is off; `tokens` is None unless
    `feedback.tokens` is on."""

    def __init__(
        self,
        settings: FeedbackSettings,
        clock: Clock,
        *,
        store: FeedbackStore | None,
        lookup: RequestLookup | None,
        authenticate: Authenticate | None,
        tokens: FeedbackTokens | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._lookup = lookup
        self._authenticate = authenticate
        self._tokens = tokens
        self._origins = frozenset(settings.cors_origins)

    async def post(self, request: web.Request) -> web.Response:
        headers = {**id_headers(), **self._cors(request)}
        try:
            rater = await self._rater(request.headers)
            raw = await _read(request)
            request_id, rating = parse_feedback(raw, self._settings)
            if rater.request_id is not None and rater.request_id != request_id:
                raise PermissionDenied(
                    "This feedback token rates another request; use the token that came with "
                    "the reply you are rating.",
                    param="request_id",
                )
            if self._store is None or self._lookup is None:
                raise FeedbackUnavailable(
                    "Feedback needs the usage ledger, which is off on this gateway "
                    "(ledger.enabled: false): a rating is stored with its request's usage "
                    "record. Turn the ledger on to accept feedback."
                )
            usage = await self._lookup.find(request_id)
            if usage is None:
                raise NotFound(
                    f"No request with id '{request_id}' is known to this gateway; send the "
                    "x-request-id of a reply it served.",
                    param="request_id",
                )
            if rater.consumer is not None and rater.consumer != usage.subject:
                raise PermissionDenied(
                    "Only the consumer that made this request, or an admin, may rate it.",
                    param="request_id",
                )
            now = datetime.fromtimestamp(self._clock.wall(), UTC)
            stored, created = await self._store.rate(usage, rater.name, rating, now)
        except GatewayError as error:
            return error_response(error, headers)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("feedback request %s failed", headers[REQUEST_ID])
            failure = InternalError(
                f"The gateway failed unexpectedly; request id {headers[REQUEST_ID]}."
            )
            return error_response(failure, headers)
        return web.Response(
            status=201 if created else 200,
            body=orjson.dumps(feedback_view(stored)),
            content_type="application/json",
            headers=headers,
        )

    async def preflight(self, request: web.Request) -> web.Response:
        """A browser's CORS preflight: allowed origins may POST with a token or a key."""
        headers = id_headers()
        cors = self._cors(request)
        if not cors:
            error = PermissionDenied(
                "This origin may not post feedback across origins (feedback.cors_origins).",
            )
            return error_response(error, headers)
        cors.update(
            {
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": _ALLOWED_HEADERS,
                "Access-Control-Max-Age": _PREFLIGHT_MAX_AGE,
            }
        )
        return web.Response(status=204, headers={**headers, **cors})

    async def other_method(self, request: web.Request) -> web.Response:
        allowed = "POST, OPTIONS" if self._origins else "POST"
        error = MethodNotAllowed(f"{request.method} is not allowed on {request.path}; use POST.")
        error.headers["Allow"] = allowed
        return error_response(error, {**id_headers(), **self._cors(request)})

    async def _rater(self, headers: Mapping[str, str]) -> Rater:
        token = headers.get(TOKEN_HEADER)
        if token is not None:
            if self._tokens is None:
                raise InvalidFeedbackToken(
                    "Feedback tokens are not accepted by this gateway (feedback.tokens is "
                    "off); send an API key."
                )
            claims = self._tokens.verify(token.strip())
            return Rater(claims.subject, claims.subject, claims.request_id)
        if self._authenticate is None:
            return Rater(ANONYMOUS, None)
        principal = await self._authenticate(headers)
        if principal.role is Role.ADMIN:
            return Rater(principal.subject, None)
        return Rater(principal.subject, principal.subject)

    def _cors(self, request: web.Request) -> dict[str, str]:
        """The CORS answer headers for an allowed origin; none for others."""
        origin = request.headers.get("Origin")
        if origin is None or not (origin in self._origins or "*" in self._origins):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": REQUEST_ID,
            "Vary": "Origin",
        }


def feedback_view(record: FeedbackRecord) -> dict[str, object]:
    """The answer: the rating as stored."""
    return {
        "object": "feedback",
        "request_id": record.request_id,
        "rater": record.rater,
        "thumbs": record.thumbs,
        "score": record.score,
        "label": record.label,
        "comment": record.comment,
        "correction": record.correction,
        "created_at": show_moment(record.created_at),
        "updated_at": show_moment(record.updated_at),
    }


async def _read(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge("The request body is larger than this gateway accepts.") from None


def mount_feedback_api(app: web.Application, api: FeedbackApi, *, cors: bool) -> None:
    """Add the feedback routes to `app` (before any catch-all route); `cors` answers
    preflights."""
    for path in FEEDBACK_PATHS:
        app.router.add_post(path, api.post)
        if cors:
            app.router.add_route("OPTIONS", path, api.preflight)
        app.router.add_route("*", path, api.other_method)
