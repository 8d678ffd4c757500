"""Request capture: keep the prompt and completion of selected requests with their usage record.

Where it sits in the chain, and why: right after `UsagePolicy`, before `SafetyPolicy` (and
before `RequestStreamUsage`).

- *Before the safety policy* (outside it), so that what it reads is what actually passed the
  gateway: the reply it wraps is the one the safety layer already filtered (withheld choices,
  redacted text, a stream cut with `content_filter`), i.e. what the client receives; and the
  request body it reads *once the chain has returned* is the one the safety layer redacted
  (`Exchange.upstream_bytes`, rewritten by `SafetyPolicy` and `RequestStreamUsage`), i.e. what
  went upstream. Inside the safety policy it would see upstream's unfiltered reply.
- *After the usage policy* (inside it), so that its finish hook, which puts the capture on the
  Exchange, runs before the usage policy's, which builds the record (finish hooks run innermost
  first). The two policies know nothing of each other: the capture travels on the Exchange.

A request is captured only when it was sent upstream: a request refused before that (by a
shield, or because every backend was cooling down) has no capture, so a prompt the safety layer
blocked, unredacted, is never stored. Capturing costs the request path no I/O: the capture goes
to the ledger's spool with the usage record, and to the database in the ledger's batches.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sluicegate.core.capture import Capture
from sluicegate.core.exchange import Exchange
from sluicegate.core.policy import Handler
from sluicegate.core.reply import Reply
from sluicegate.policies.capture_reply import CapturingStream, ReplyText
from sluicegate.wire.endpoints import Endpoint

log = logging.getLogger("sluicegate.capture")


@dataclass(frozen=True, slots=True)
class CaptureSelection:
    """Which requests are captured: those matching every list that is not empty."""

    routes: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()
    """Key ids or token subjects."""

    @classmethod
    def of(
        cls, routes: Iterable[str] = (), teams: Iterable[str] = (), subjects: Iterable[str] = ()
    ) -> CaptureSelection:
        return cls(frozenset(routes), frozenset(teams), frozenset(subjects))

    def selects(self, exchange: Exchange) -> bool:
        if not exchange.route or (self.routes and exchange.route not in self.routes):
            return False
        if not (self.teams or self.subjects):
            return True
        principal = exchange.principal
        if principal is None:
            return False
        if self.teams and principal.team not in self.teams:
            return False
        return not self.subjects or principal.subject in self.subjects


class CapturePolicy:
    """Policy: capture what went upstream and what the client received, for the usage record."""

    __slots__ = ("_max_chars", "_selection")

    def __init__(self, selection: CaptureSelection, max_chars: int) -> None:
        if max_chars < 1:
            raise ValueError("max_chars must be at least 1")
        self._selection = selection
        self._max_chars = max_chars

    async def __call__(self, exchange: Exchange, call_next: Handler) -> Reply:
        if not self._selection.selects(exchange):
            return await call_next(exchange)
        text = None
        if exchange.endpoint is not Endpoint.EMBEDDINGS:  # embeddings: the input only
            text = ReplyText(exchange.endpoint, self._max_chars)
        max_chars = self._max_chars

        async def captured(exchange: Exchange) -> None:
            # Never raise: the usage policy's hook, which runs next, must still write the record.
            try:
                exchange.capture = capture_of(exchange, text, max_chars)
            except Exception:
                log.exception("cannot capture request %s", exchange.request_id)

        exchange.on_finish(captured)
        reply = await call_next(exchange)
        if text is not None and reply.status < 300:
            if reply.stream is not None:
                reply.stream = CapturingStream(reply.stream, text)
            else:
                text.add_body(reply.body)
        return reply


def capture_of(exchange: Exchange, reply: ReplyText | None, max_chars: int) -> Capture | None:
    """The capture of a finished exchange; None when nothing was sent upstream."""
    if exchange.served_by is None and not exchange.attempts:
        return None
    request, cut = request_text(exchange.upstream_bytes, max_chars)
    return Capture(
        request=request,
        response=reply.to_json() if reply is not None else None,
        request_truncated=cut,
        response_truncated=reply.truncated if reply is not None else False,
    )


def request_text(body: bytes, max_chars: int) -> tuple[str, bool]:
    """The first `max_chars` characters of a UTF-8 body, and whether that is not all of it.

    Only the bytes that can hold them are decoded (a character takes at most 4 bytes), so a
    large body is not copied whole; a character cut by that slice lies past `max_chars`."""
    limit = max_chars * 4
    text = body[:limit].decode("utf-8", "ignore")
    cut = len(body) > limit or len(text) > max_chars
    return text[:max_chars], cut
