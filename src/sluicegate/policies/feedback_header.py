"""Policy: put a feedback token on every successful model reply (`feedback.tokens`).

The token lets whoever holds the reply rate it, once, without an API key: the application
hands it to its browser front end along with the answer (see `feedback_tokens`).
"""

from __future__ import annotations

from sluicegate.core.exchange import Exchange
from sluicegate.core.policy import Handler
from sluicegate.core.reply import Reply
from sluicegate.policies.feedback_tokens import TOKEN_HEADER, FeedbackTokens
from sluicegate.policies.usage import ANONYMOUS


class FeedbackTokenPolicy:
    """Adds `x-sluicegate-feedback-token` to 2xx replies of requests the ledger records."""

    __slots__ = ("_tokens",)

    def __init__(self, tokens: FeedbackTokens) -> None:
        self._tokens = tokens

    async def __call__(self, exchange: Exchange, call_next: Handler) -> Reply:
        reply = await call_next(exchange)
        if 200 <= reply.status < 300 and exchange.route:
            principal = exchange.principal
            # The subject the usage record names, so that the token matches the record.
            subject = principal.subject if principal is not None else ANONYMOUS
            reply.headers[TOKEN_HEADER] = self._tokens.issue(exchange.request_id, subject)
        return reply
