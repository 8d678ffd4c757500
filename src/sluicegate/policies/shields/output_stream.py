"""Output shields on a streamed reply: checked as it arrives, cut the moment it is flagged.

Each SSE frame is parsed once; the text it adds to each choice is fed to that choice's
`StreamGuard`, and frames are passed on, in order and unchanged (unless redacted or
annotated), as soon as their text lies behind the guard's hold-back window; a frame longer
than the window is split so that its released start goes out at once. Frames without
text (the role chunk, the usage chunk) go out as soon as everything before them has, so a
stream's first bytes are not delayed at all and its first *token* by at most the window.

When a choice is flagged, nothing more of the stream reaches the client: it gets, as Azure
OpenAI sends it, a final chunk whose `finish_reason` is `content_filter` with the verdict in
`content_filter_results`, the usage chunk if usage was asked for, and `data: [DONE]`; the
upstream request is closed so the backend stops generating.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from sluicegate.core.exchange import Exchange, Usage
from sluicegate.core.reply import ByteStream, TransformedStream
from sluicegate.policies.estimate import token_estimate
from sluicegate.policies.shields.events import record_event
from sluicegate.policies.shields.inspect import Redactor
from sluicegate.policies.shields.profile import Profile
from sluicegate.policies.shields.remote import RemoteChecks
from sluicegate.policies.shields.results import Judged, filter_results
from sluicegate.safety.stream_guard import StreamGuard
from sluicegate.safety.verdict import Finding, Span, Verdict
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.sse import (
    DONE,
    DONE_EVENT,
    FrameSplitter,
    encode_event,
    event_data,
    json_object,
)
from sluicegate.wire.texts import last_user_prompt
from sluicegate.wire.token_count import estimate_tokens


@dataclass(slots=True)
class _Choice:
    guard: StreamGuard
    parts: list[str] = field(default_factory=list)
    released: int = 0
    finished: bool = False
    remote: list[Finding] = field(default_factory=list)
    """Findings of remote detectors on the whole text (they check the end of the reply)."""

    def findings(self) -> tuple[Finding, ...]:
        return (*self.guard.findings, *self.remote)

    def text(self) -> str:
        if len(self.parts) > 1:
            self.parts[:] = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""


@dataclass(slots=True)
class _Frame:
    raw: bytes
    payload: dict[str, Any] | None = None
    segments: list[tuple[int, int, int]] = field(default_factory=list)
    """(choice index, start, end) of the text this frame adds to each choice."""
    finishing: list[int] = field(default_factory=list)
    """Choices whose `finish_reason` is in this frame."""


class GuardedStream(TransformedStream):
    """A `ByteStream` that passes an upstream stream through a profile's output shields."""

    __slots__ = (
        "_blocked",
        "_choices",
        "_exchange",
        "_meta",
        "_pending",
        "_profile",
        "_prompt_results",
        "_redactor",
        "_remote",
    )

    def __init__(
        self,
        upstream: ByteStream,
        profile: Profile,
        exchange: Exchange,
        redactor: Redactor,
        prompt_results: list[dict[str, Any]] | None,
        remote: RemoteChecks | None,
    ) -> None:
        super().__init__(upstream)
        self._profile = profile
        self._exchange = exchange
        self._redactor = redactor
        self._prompt_results = prompt_results
        self._remote = remote if remote is not None and remote.used_by(profile) else None
        self._choices: dict[int, _Choice] = {}
        self._pending: list[_Frame] = []
        self._blocked: Finding | None = None
        self._meta: dict[str, Any] = {}

    async def _run(self) -> AsyncGenerator[bytes, None]:
        if self._prompt_results is not None:
            yield encode_event(orjson.dumps(self._prompt_chunk()))
        splitter = FrameSplitter()
        checks = self._profile.checks_output
        async for chunk in self._upstream:
            if not checks:
                yield chunk
                continue
            for frame in splitter.feed(chunk):
                await self._take(frame)
                if self._blocked is not None:
                    break
            if self._blocked is not None:
                # What cleared the window before the flagged piece came goes out first, as
                # it would have had upstream sent this chunk's frames one read at a time.
                yield self._release(final=False) + self._cut()
                await self._upstream.aclose()
                return
            out = self._release(final=False)
            if out:
                yield out
        if not checks:
            return
        await self._finish_all()
        if self._blocked is not None:
            yield self._release(final=False) + self._cut()
            return
        out = self._release(final=True) + splitter.pending
        self._record()
        if out:
            yield out

    # --- reading frames ---------------------------------------------------------------------

    async def _take(self, raw: bytes) -> None:
        frame = _Frame(raw)
        data = event_data(raw)
        if data == DONE:
            await self._finish_all()
        elif data is not None and b'"choices"' in data:
            payload = json_object(data)
            if payload is not None:
                self._read(frame, payload)
        self._pending.append(frame)

    def _read(self, frame: _Frame, payload: dict[str, Any]) -> None:
        choices = payload.get("choices")
        if not isinstance(choices, list):
            return
        frame.payload = payload
        if not self._meta:
            self._meta = {k: payload.get(k) for k in ("id", "object", "created", "model")}
        for choice in choices:
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", 0)
            index = index if isinstance(index, int) else 0
            text = _delta_text(choice, self._exchange.endpoint)
            state = self._choice(index)
            if text:
                start = state.guard.total
                state.parts.append(text)
                step = state.guard.feed(text)
                state.released = step.release_to
                frame.segments.append((index, start, start + len(text)))
                if step.blocked is not None and self._blocked is None:
                    self._blocked = step.blocked
            if choice.get("finish_reason") is not None:
                frame.finishing.append(index)
                self._end_choice(state)

    def _choice(self, index: int) -> _Choice:
        state = self._choices.get(index)
        if state is None:
            profile = self._profile
            guard = StreamGuard(
                profile.output_detector(),
                hold_back=profile.hold_back,
                blocks=lambda f: profile.action_for(f) == "block",
                redacts=lambda f: profile.action_for(f) == "redact",
                word_safe=profile.redacts_output(),
            )
            state = self._choices[index] = _Choice(guard)
        return state

    def _end_choice(self, state: _Choice) -> None:
        if state.finished:
            return
        state.finished = True
        step = state.guard.finish()
        state.released = step.release_to
        if step.blocked is not None and self._blocked is None:
            self._blocked = step.blocked

    async def _finish_all(self) -> None:
        for state in self._choices.values():
            self._end_choice(state)
        if self._remote is not None and self._blocked is None:
            prompt = last_user_prompt(self._exchange.body)
            for state in self._choices.values():
                verdict = await self._remote.check_output(self._profile, state.text(), prompt)
                self._note_remote(state, verdict)

    def _note_remote(self, state: _Choice, verdict: Verdict) -> None:
        state.remote.extend(verdict.findings)
        for finding in verdict.findings:
            if self._profile.action_for(finding) == "block" and self._blocked is None:
                self._blocked = finding

    # --- writing frames ---------------------------------------------------------------------

    def _release(self, *, final: bool) -> bytes:
        out: list[bytes] = []
        taken = 0
        for frame in self._pending:
            if not final and not all(
                end <= self._choices[index].released for index, _, end in frame.segments
            ):
                head = self._split(frame)
                if head is not None:
                    out.append(self._rendered(head))
                break
            out.append(self._rendered(frame))
            taken += 1
        del self._pending[:taken]
        return b"".join(out)

    def _split(self, frame: _Frame) -> _Frame | None:
        """The released start of a partly released frame longer than the hold-back window, as
        a frame of its own (`frame` keeps the rest), so that a backend sending many tokens per
        chunk is held back by the window, not by a whole chunk. Shorter frames (a token or a
        few, as backends usually send them) go out whole and unchanged a little later; frames
        that finish a choice or carry logprobs, which belong to the whole chunk, are not
        split."""
        payload = frame.payload
        if (
            payload is None
            or frame.finishing
            or all(end - start <= self._profile.hold_back for _, start, end in frame.segments)
            or _has_logprobs(payload)
        ):
            return None
        cuts = [
            (index, start, min(end, self._choices[index].released), end)
            for index, start, end in frame.segments
        ]
        if not any(cut > start for _, start, cut, _ in cuts):
            return None
        head = _Frame(b"", orjson.loads(orjson.dumps(payload)))
        assert head.payload is not None
        endpoint = self._exchange.endpoint
        for index, start, cut, end in cuts:
            text = self._choices[index].text()
            _set_delta_text(head.payload, index, text[start:cut], endpoint)
            _set_delta_text(payload, index, text[cut:end], endpoint)
            head.segments.append((index, start, cut))
        for choice in payload.get("choices") or ():
            if isinstance(choice, dict) and isinstance(choice.get("delta"), dict):
                choice["delta"].pop("role", None)  # said once, by the head
        frame.segments = [(index, cut, end) for index, _, cut, end in cuts]
        head.raw = encode_event(orjson.dumps(head.payload))
        frame.raw = encode_event(orjson.dumps(payload))
        return head

    def _rendered(self, frame: _Frame) -> bytes:
        payload = frame.payload
        if payload is None:
            return frame.raw
        changed = False
        for index, start, end in frame.segments:
            spans = self._choices[index].guard.redactions
            if any(s.start < end and s.end > start for s in spans):
                new = self._redacted(index, start, end, spans)
                _set_delta_text(payload, index, new, self._exchange.endpoint)
                changed = True
        if self._profile.annotate:
            for index in frame.finishing:
                _set_choice_field(payload, index, "content_filter_results", self._results(index))
                changed = True
        return encode_event(orjson.dumps(payload)) if changed else frame.raw

    def _redacted(self, index: int, start: int, end: int, spans: Sequence[Span]) -> str:
        text = self._choices[index].text()
        pieces: list[str] = []
        cursor = start
        for span in spans:
            if span.end <= start or span.start >= end:
                continue
            if span.start > cursor:
                pieces.append(text[cursor : span.start])
            if start <= span.start:
                value = text[span.start : span.end]
                pieces.append(self._redactor(value, [Span(0, len(value), span.label)]))
            cursor = max(cursor, min(span.end, end))
        if cursor < end:
            pieces.append(text[cursor:end])
        return "".join(pieces)

    def _results(self, index: int) -> dict[str, Any]:
        state = self._choices.get(index)
        findings = state.findings() if state is not None else ()
        return filter_results(
            self._profile, "output", [Judged(f, self._profile.action_for(f)) for f in findings]
        )

    def _cut(self) -> bytes:
        """The end of a flagged stream: a content_filter finish per open choice, usage, DONE."""
        self._pending.clear()
        self._record()
        exchange = self._exchange
        meta = self._meta
        completions = exchange.endpoint is Endpoint.COMPLETIONS
        choices = []
        for index, state in sorted(self._choices.items()):
            choice: dict[str, Any] = {"index": index}
            if completions:
                choice["text"] = ""
            else:
                choice["delta"] = {}
            choice["logprobs"] = None
            choice["finish_reason"] = "content_filter"
            choice["content_filter_results"] = self._results(index)
            choices.append(choice)
            state.finished = True
        head = {
            "id": meta.get("id") or exchange.request_id,
            "object": meta.get("object")
            or ("text_completion" if completions else "chat.completion.chunk"),
            "created": meta.get("created") or 0,
            "model": meta.get("model") or exchange.model,
        }
        out = [encode_event(orjson.dumps({**head, "choices": choices}))]
        usage = self._estimated_usage()
        exchange.usage = usage
        if exchange.include_usage or exchange.strip_usage_chunk:
            body = {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            }
            out.append(encode_event(orjson.dumps({**head, "choices": [], "usage": body})))
        out.append(DONE_EVENT)
        return b"".join(out)

    def _estimated_usage(self) -> Usage:
        """What a cut stream cost: its prompt and the text generated before the cut (the
        backend's own count never arrives once the stream is closed)."""
        prompt, _ = token_estimate(self._exchange, 0)
        completion = sum(estimate_tokens(s.text()) for s in self._choices.values())
        return Usage(prompt, completion, prompt + completion)

    def _record(self) -> None:
        for state in self._choices.values():
            for finding in state.findings():
                judged = Judged(finding, self._profile.action_for(finding))
                if judged.action is not None:
                    record_event(self._exchange, "output", judged)

    def _prompt_chunk(self) -> dict[str, Any]:
        """Azure's first chunk: the prompt's verdicts and no choices."""
        return {
            "id": "",
            "object": "",
            "created": 0,
            "model": "",
            "prompt_filter_results": self._prompt_results,
            "choices": [],
        }


def _delta_text(choice: dict[str, Any], endpoint: Endpoint) -> str:
    if endpoint is Endpoint.COMPLETIONS:
        text = choice.get("text")
        return text if isinstance(text, str) else ""
    delta = choice.get("delta")
    if isinstance(delta, dict):
        content = delta.get("content")
        if isinstance(content, str):
            return content
    return ""


def _set_delta_text(payload: dict[str, Any], index: int, text: str, endpoint: Endpoint) -> None:
    for choice in payload.get("choices") or ():
        if isinstance(choice, dict) and choice.get("index", 0) == index:
            if endpoint is Endpoint.COMPLETIONS:
                choice["text"] = text
            elif isinstance(choice.get("delta"), dict):
                choice["delta"]["content"] = text


def _has_logprobs(payload: dict[str, Any]) -> bool:
    return any(
        isinstance(choice, dict) and choice.get("logprobs") is not None
        for choice in payload.get("choices") or ()
    )


def _set_choice_field(payload: dict[str, Any], index: int, name: str, value: object) -> None:
    for choice in payload.get("choices") or ():
        if isinstance(choice, dict) and choice.get("index", 0) == index:
            choice[name] = value
