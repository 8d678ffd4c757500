"""A local Azure AI Content Safety: `text:analyze` and `text:shieldPrompt`, api-version 2024-09-01.

Requests are validated as the service documents them, and stricter where the documentation is
silent, so a client that passes here sends nothing the service could refuse:

- authentication first: `Ocp-Apim-Subscription-Key: <key>` or `Authorization: Bearer <token>`
  with one of `tokens`; anything else is 401 `Unauthorized`;
- `api-version` must be the one served (else 404 `ResourceNotFound`);
- the body must be a JSON object with only the documented fields, of the documented types
  (else 400 `InvalidRequestBody`): `text` 1–10,000 characters; `categories` from the four;
  `blocklistNames` of blocklists that exist (else 404 `ResourceNotFound`); a user prompt of at
  most 10,000 characters; at most 5 documents of at most 10,000 characters together.

Results follow from the text, deterministically:

- `[hate:5]`, `[selfharm:3]`, `[sexual:7]`, `[violence:2]` set that category's severity on the
  eight-level scale (the highest marker wins; four levels round down to 0, 2, 4, 6);
- a blocklist item matches where its text occurs, ignoring case;
- a user prompt or document containing `IGNORE PREVIOUS INSTRUCTIONS` (any case) is an attack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web
from tests.fakes.server import FakeServer, Received, json_response

API_VERSION = "2024-09-01"
TEXT_LIMIT = 10_000
PROMPT_LIMIT = 10_000
DOCUMENTS_LIMIT = 10_000
MAX_DOCUMENTS = 5
ATTACK = "ignore previous instructions"
CATEGORIES = ("Hate", "Sexual", "SelfHarm", "Violence")
ANALYZE_FIELDS = frozenset(
    {"text", "categories", "blocklistNames", "haltOnBlocklistHit", "outputType"}
)
SHIELD_FIELDS = frozenset({"userPrompt", "documents"})
_MARKER = re.compile(r"\[(hate|sexual|selfharm|violence):([0-7])\]", re.IGNORECASE)
_BLOCKLIST_NAME = re.compile(r"[0-9A-Za-z._~-]{1,64}")


class BadRequest(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class FakeContentSafety(FakeServer):
    """`blocklists` maps a blocklist's name to its items (`blocklistItemId` → text)."""

    def __init__(
        self,
        *,
        key: str = "fake-content-safety-key",
        tokens: Iterable[str] = (),
        blocklists: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.key = key
        self.tokens = frozenset(tokens)
        self.blocklists = {name: dict(items) for name, items in (blocklists or {}).items()}

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/contentsafety/text:analyze", self._analyze),
            web.post("/contentsafety/text:shieldPrompt", self._shield),
        ]

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"error": {"code": code, "message": message, "details": []}}

    def analyzed(self) -> list[Received]:
        return [r for r in self.requests if r.path.endswith(":analyze")]

    def shielded(self) -> list[Received]:
        return [r for r in self.requests if r.path.endswith(":shieldPrompt")]

    async def _analyze(self, request: web.Request) -> web.Response:
        return await self._serve(request, self._analysis)

    async def _shield(self, request: web.Request) -> web.Response:
        return await self._serve(request, self._shield_analysis)

    async def _serve(self, request: web.Request, answer: Any) -> web.Response:
        received = await self.receive(request)
        if not self._authorized(received.headers):
            return self.error(
                401,
                "Unauthorized",
                "Access denied due to invalid subscription key or wrong API endpoint.",
            )
        faulted = await self.faulted(received)
        if faulted is not None:
            return faulted
        try:
            if received.query.get("api-version") != API_VERSION:
                raise BadRequest(404, "ResourceNotFound", "The API version is not supported.")
            if not request.content_type == "application/json":
                raise BadRequest(400, "InvalidRequestBody", "The body must be JSON.")
            body = _object(received.body)
            return json_response(200, answer(body))
        except BadRequest as bad:
            return self.error(bad.status, bad.code, bad.message)

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        key = headers.get("Ocp-Apim-Subscription-Key")
        if key is not None:
            return key == self.key
        authorization = headers.get("Authorization", "")
        scheme, _, token = authorization.partition(" ")
        return scheme == "Bearer" and token in self.tokens

    def _analysis(self, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, ANALYZE_FIELDS)
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise _invalid("text is required and must be a non-empty string.")
        if len(text) > TEXT_LIMIT:
            raise _invalid(f"text exceeds the maximum length of {TEXT_LIMIT} characters.")
        categories = body.get("categories", list(CATEGORIES))
        if not isinstance(categories, list) or any(c not in CATEGORIES for c in categories):
            raise _invalid("categories must be a list of Hate, Sexual, SelfHarm, Violence.")
        names = body.get("blocklistNames", [])
        if not isinstance(names, list) or not all(
            isinstance(name, str) and _BLOCKLIST_NAME.fullmatch(name) for name in names
        ):
            raise _invalid("blocklistNames must be a list of blocklist names.")
        for name in names:
            if name not in self.blocklists:
                raise BadRequest(404, "ResourceNotFound", f"Blocklist {name} does not exist.")
        halt = body.get("haltOnBlocklistHit", False)
        if not isinstance(halt, bool):
            raise _invalid("haltOnBlocklistHit must be a boolean.")
        output = body.get("outputType", "FourSeverityLevels")
        if output not in ("FourSeverityLevels", "EightSeverityLevels"):
            raise _invalid("outputType must be FourSeverityLevels or EightSeverityLevels.")
        matches = [
            {"blocklistName": name, "blocklistItemId": item_id, "blocklistItemText": item}
            for name in names
            for item_id, item in self.blocklists[name].items()
            if item.lower() in text.lower()
        ]
        if matches and halt:
            return {"blocklistsMatch": matches, "categoriesAnalysis": []}
        severities = _severities(text)
        return {
            "blocklistsMatch": matches,
            "categoriesAnalysis": [
                {
                    "category": category,
                    "severity": severities.get(category, 0)
                    if output == "EightSeverityLevels"
                    else severities.get(category, 0) // 2 * 2,
                }
                for category in categories
            ],
        }

    def _shield_analysis(self, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, SHIELD_FIELDS)
        if "userPrompt" not in body and "documents" not in body:
            raise _invalid("userPrompt or documents is required.")
        prompt = body.get("userPrompt", "")
        if not isinstance(prompt, str):
            raise _invalid("userPrompt must be a string.")
        if len(prompt) > PROMPT_LIMIT:
            raise _invalid(f"userPrompt exceeds {PROMPT_LIMIT} characters.")
        documents = body.get("documents", [])
        if not isinstance(documents, list) or not all(isinstance(d, str) for d in documents):
            raise _invalid("documents must be a list of strings.")
        if len(documents) > MAX_DOCUMENTS:
            raise _invalid(f"at most {MAX_DOCUMENTS} documents are allowed.")
        if sum(len(document) for document in documents) > DOCUMENTS_LIMIT:
            raise _invalid(f"documents exceed {DOCUMENTS_LIMIT} characters in total.")
        answer: dict[str, Any] = {
            "documentsAnalysis": [{"attackDetected": ATTACK in d.lower()} for d in documents]
        }
        if "userPrompt" in body:
            answer["userPromptAnalysis"] = {"attackDetected": ATTACK in prompt.lower()}
        return answer


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object.")
    return body


def _only(body: dict[str, Any], fields: frozenset[str]) -> None:
    unknown = sorted(set(body) - fields)
    if unknown:
        raise _invalid(f"Unknown fields: {', '.join(unknown)}.")


def _invalid(message: str) -> BadRequest:
    return BadRequest(400, "InvalidRequestBody", message)


def _severities(text: str) -> dict[str, int]:
    names = {"hate": "Hate", "sexual": "Sexual", "selfharm": "SelfHarm", "violence": "Violence"}
    found: dict[str, int] = {}
    for marker in _MARKER.finditer(text):
        category = names[marker.group(1).lower()]
        found[category] = max(found.get(category, 0), int(marker.group(2)))
    return found
