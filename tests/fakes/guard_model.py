"""A local guard model behind an OpenAI-compatible `POST /v1/chat/completions`, as vLLM serves
Llama Guard 3.

Requests are validated the way the serving stack and Llama Guard's chat template would refuse
them, and stricter where they are lenient:

- authentication when configured: `Authorization: Bearer <token>` or `api-key: <key>`,
  else 401 in OpenAI's error shape;
- `model` must be the served one (else 404 `NotFoundError`);
- only `model`, `messages`, `max_tokens` and `temperature` are accepted (else 400);
- `messages` must be user/assistant turns with string content that start with the user and
  alternate, which is all Llama Guard's template accepts (else 400 `BadRequestError`).

The answer is decided by the last turn, the only one Llama Guard judges: a turn containing
`[unsafe:S1,S10]` is answered `unsafe\\nS1,S10`, any other `safe`. `answer` overrides it with
any content, to test how a client reads odd answers.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from tests.fakes.server import FakeServer, json_response

MODEL = "meta-llama/Llama-Guard-3-8B"
FIELDS = frozenset({"model", "messages", "max_tokens", "temperature"})
_MARKER = re.compile(r"\[unsafe:([^\]]*)\]")


class Rejected(Exception):
    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


class FakeGuardModel(FakeServer):
    def __init__(
        self, *, model: str = MODEL, token: str | None = None, api_key: str | None = None
    ) -> None:
        super().__init__()
        self.model = model
        self.token = token
        self.api_key = api_key
        self.answer: str | None = None

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/chat/completions", self._complete)]

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"error": {"message": message, "type": code, "param": None, "code": status}}

    def last_messages(self) -> list[dict[str, str]]:
        body = self.requests[-1].body
        assert isinstance(body, dict)
        messages: list[dict[str, str]] = body["messages"]
        return messages

    async def _complete(self, request: web.Request) -> web.Response:
        received = await self.receive(request)
        if not self._authorized(received.headers):
            return self.error(401, "AuthenticationError", "Unauthorized")
        faulted = await self.faulted(received)
        if faulted is not None:
            return faulted
        try:
            last = self._validate(received.body)
        except Rejected as rejected:
            return self.error(rejected.status, rejected.kind, rejected.message)
        content = self.answer if self.answer is not None else _judge(last)
        return json_response(
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 0,
                "model": self.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": 5, "total_tokens": 105},
            },
        )

    def _authorized(self, headers: dict[str, str]) -> bool:
        if self.token is None and self.api_key is None:
            return True
        if self.token is not None and headers.get("Authorization") == f"Bearer {self.token}":
            return True
        return self.api_key is not None and headers.get("api-key") == self.api_key

    def _validate(self, body: Any) -> str:
        """The last turn's content of a valid request."""
        if not isinstance(body, dict):
            raise Rejected(400, "BadRequestError", "the body must be a JSON object")
        unknown = sorted(set(body) - FIELDS)
        if unknown:
            raise Rejected(400, "BadRequestError", f"unexpected fields: {', '.join(unknown)}")
        if body.get("model") != self.model:
            raise Rejected(404, "NotFoundError", "The model does not exist.")
        max_tokens = body.get("max_tokens")
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise Rejected(400, "BadRequestError", "max_tokens must be a positive integer")
        temperature = body.get("temperature", 1.0)
        if isinstance(temperature, bool) or not isinstance(temperature, int | float):
            raise Rejected(400, "BadRequestError", "temperature must be a number")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise Rejected(400, "BadRequestError", "messages must be a non-empty list")
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or set(message) != {"role", "content"}:
                raise Rejected(400, "BadRequestError", "a message has role and content only")
            expected = "user" if index % 2 == 0 else "assistant"
            if message["role"] != expected or not isinstance(message["content"], str):
                raise Rejected(
                    400,
                    "BadRequestError",
                    "Conversation roles must alternate user/assistant/user/assistant/...",
                )
        last: str = messages[-1]["content"]
        return last


def _judge(turn: str) -> str:
    marker = _MARKER.search(turn)
    return f"unsafe\n{marker.group(1)}" if marker else "safe"
