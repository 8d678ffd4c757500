"""How many tokens a request may use, before it is sent: what quotas and budgets reserve.

The prompt is the calibrated estimate (exact counting costs over 0.1 ms per 1k tokens, and the
charge is reconciled to the real usage anyway); the completion is the request's own
`max_completion_tokens` / `max_tokens`, else the configured default. Computed once per request
and kept on the exchange, since both the quota and the budget policy need it.
"""

from __future__ import annotations

from sluicegate.core.exchange import Exchange
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.token_count import estimate_request_tokens


def token_estimate(exchange: Exchange, default_max_tokens: int) -> tuple[int, int]:
    """(prompt tokens, completion tokens) the request may use at most."""
    known = exchange.token_estimate
    if known is not None:
        return known
    prompt = estimate_request_tokens(exchange.body, exchange.endpoint)
    completion = 0
    if exchange.endpoint is not Endpoint.EMBEDDINGS:
        body = exchange.body
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        completion = max_tokens if isinstance(max_tokens, int) else default_max_tokens
    exchange.token_estimate = (prompt, completion)
    return prompt, completion
