"""Export rated requests as JSONL: an evaluation dataset built from what users said.

One JSON object per line and per rating, in the order the ratings were first stored:

    {"request_id", "request_at", "model", "prompt_version", "backend", "consumer", "team",
     "rater", "thumbs", "score", "label", "comment", "correction", "sentiment", "rated_at",
     "input", "output"}

`sentiment` is `positive`, `negative` or `neutral`: the thumbs when given, else the score
against the middle of the configured range, else null. `--only negative|positive|corrected`
keeps one kind (`corrected`: the rating carries a correction, the reply as it should have
been, which makes the item a reference answer for evaluations).

`input` and `output` are the request's prompt (the body sent upstream, after any redaction)
and the reply the client got (`{"choices": [...]}`), joined in from request capture
(`CapturedRequests`) when the request was captured; null otherwise. A capture cut at
`capture.max_chars` exports the request as the text that was kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Literal, Protocol

import orjson

from sluicegate.admin.moments import show_moment
from sluicegate.core.capture import Capture, CaptureStore
from sluicegate.core.errors import InvalidRequest
from sluicegate.core.feedback import FeedbackRecord, FeedbackStore

Only = Literal["negative", "positive", "corrected"]
ONLY: tuple[Only, ...] = ("negative", "positive", "corrected")
Sentiment = Literal["positive", "negative", "neutral"]
PAGE = 500


@dataclass(frozen=True, slots=True)
class CapturedExchange:
    """What a request sent and what it got back, as captured by the gateway."""

    input: object
    """The prompt (the request's messages or body), JSON-ready."""
    output: object
    """The reply (its choices), JSON-ready; None when there was none."""


class CaptureJoin(Protocol):
    """Where captured prompts and completions are joined into the export.

    The export asks once per page of ratings, with that page's request ids; requests with no
    capture are simply left out of the answer (their `input` and `output` stay null).
    """

    async def captured(self, request_ids: Sequence[str]) -> Mapping[str, CapturedExchange]: ...


class NoCapture:
    """No captured requests: every item's `input` and `output` are null."""

    async def captured(self, request_ids: Sequence[str]) -> Mapping[str, CapturedExchange]:
        return {}


NO_CAPTURE = NoCapture()


class CapturedRequests:
    """The captures kept by request capture, as the export's `input` and `output`."""

    __slots__ = ("_store",)

    def __init__(self, store: CaptureStore) -> None:
        self._store = store

    async def captured(self, request_ids: Sequence[str]) -> Mapping[str, CapturedExchange]:
        stored = await self._store.get_many(request_ids)
        return {request_id: _exchange(found.capture) for request_id, found in stored.items()}


def _exchange(capture: Capture) -> CapturedExchange:
    request = capture.request if capture.request_truncated else _json(capture.request)
    response = _json(capture.response) if capture.response is not None else None
    return CapturedExchange(input=request, output=response)


def _json(text: str) -> object:
    """The JSON a capture holds, or the text itself when it does not parse."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def parse_only(text: str | None) -> Only | None:
    if text is None:
        return None
    for only in ONLY:
        if text == only:
            return only
    raise InvalidRequest(f"--only {text[:40]!r}: use {', '.join(ONLY)}", param="only")


def sentiment(record: FeedbackRecord, midpoint: float) -> Sentiment | None:
    """The thumbs when given, else the score against `midpoint` (the middle of the range)."""
    if record.thumbs == "up":
        return "positive"
    if record.thumbs == "down":
        return "negative"
    if record.score is None:
        return None
    if record.score > midpoint:
        return "positive"
    return "negative" if record.score < midpoint else "neutral"


def selected(record: FeedbackRecord, only: Only | None, midpoint: float) -> bool:
    if only is None:
        return True
    if only == "corrected":
        return bool(record.correction)
    return sentiment(record, midpoint) == only


async def export_feedback(
    store: FeedbackStore,
    out: IO[bytes],
    *,
    midpoint: float,
    since: datetime | None = None,
    until: datetime | None = None,
    only: Only | None = None,
    captures: CaptureJoin = NO_CAPTURE,
) -> int:
    """Write the ratings of requests with `since <= request time < until` that `only` keeps
    to `out`, one JSON line each; how many were written."""
    written = 0
    after: int | None = None
    while True:
        page = await store.page(since, until, after_id=after, limit=PAGE)
        if not page:
            return written
        after = page[-1].id
        kept = [record for record in page if selected(record, only, midpoint)]
        joined = await captures.captured([record.request_id for record in kept]) if kept else {}
        for record in kept:
            out.write(orjson.dumps(export_item(record, midpoint, joined.get(record.request_id))))
            out.write(b"\n")
        written += len(kept)


def export_item(
    record: FeedbackRecord, midpoint: float, captured: CapturedExchange | None = None
) -> dict[str, object]:
    """One line of the export."""
    return {
        "request_id": record.request_id,
        "request_at": show_moment(record.request_at),
        "model": record.model,
        "prompt_version": record.prompt_version,
        "backend": record.backend,
        "consumer": record.subject,
        "team": record.team,
        "rater": record.rater,
        "thumbs": record.thumbs,
        "score": record.score,
        "label": record.label,
        "comment": record.comment,
        "correction": record.correction,
        "sentiment": sentiment(record, midpoint),
        "rated_at": show_moment(record.updated_at),
        "input": captured.input if captured is not None else None,
        "output": captured.output if captured is not None else None,
    }
