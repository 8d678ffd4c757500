"""Managing the prompt registry: the one implementation behind `sluicegate prompts …` and the
admin API.

A push stores a prompty file as the next immutable version of its prompt, unless it is
identical to the latest version (then nothing is stored, and the caller is told). Labels move
only through `promote`, which checks, in order: the names and targets, protection (a protected
label, `production` by default, is moved by admins only), that the versions exist, and then an
optional verifier: the seam where a passing evaluation will be required before a promotion. Every
change is appended to the audit log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sluicegate.admin.prompt_refs import (
    PromptRef,
    check_label,
    check_prompt_name,
    check_targets,
    describe_targets,
    parse_ref,
    shown,
)
from sluicegate.core.clock import Clock
from sluicegate.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sluicegate.core.identity import Role
from sluicegate.core.ledger import AuditEntry, AuditLog
from sluicegate.core.prompts import (
    LabelMove,
    LabelTarget,
    PromptLabel,
    PromptNotFound,
    PromptStore,
    PromptSummary,
    PromptVersion,
    VersionConflict,
)
from sluicegate.prompts.diff import diff_prompts
from sluicegate.prompts.errors import PromptyError
from sluicegate.prompts.hashing import content_hash
from sluicegate.prompts.prompty import parse_prompty

MAX_SOURCE_CHARS = 1_000_000
MAX_MESSAGE_LENGTH = 2000
MAX_NOTE_LENGTH = 2000
PUSH_ATTEMPTS = 5
"""How often a push reads the latest version again after another push took its number."""


@dataclass(frozen=True, slots=True)
class Pushed:
    """What a push did: stored a new version, or found the latest one identical."""

    version: PromptVersion
    created: bool


@dataclass(frozen=True, slots=True)
class Shown:
    """A version with the labels of its prompt that point at it, and the prompt's latest
    version number."""

    version: PromptVersion
    labels: tuple[PromptLabel, ...]
    latest: int


@dataclass(frozen=True, slots=True)
class PromptDiff:
    a: PromptVersion
    b: PromptVersion
    text: str
    """A unified diff; empty when the two sources are identical."""


@dataclass(frozen=True, slots=True)
class Promotion:
    """A label move as a verifier sees it, before it happens."""

    name: str
    label: str
    before: tuple[LabelTarget, ...]
    after: tuple[LabelTarget, ...]
    actor: str


PromotionVerifier = Callable[[Promotion], Awaitable[str]]
"""Judges a promotion before the label moves: returns a note for the label's history (for
example the evaluation run that allowed it), or raises a `GatewayError` (`Conflict`,
`PermissionDenied`) whose message says why the promotion is refused."""


@dataclass(frozen=True, slots=True)
class LabelChange:
    """Where a label points after `promote`; `move` is None when it pointed there already."""

    label: PromptLabel
    move: LabelMove | None

    @property
    def changed(self) -> bool:
        return self.move is not None


class PromptAdmin:
    """Push, read, compare and label prompt versions, auditing every change."""

    def __init__(
        self,
        store: PromptStore,
        audit: AuditLog,
        clock: Clock,
        *,
        protected_labels: Iterable[str] = ("production",),
        verifier: PromotionVerifier | None = None,
    ) -> None:
        """`verifier` judges every promotion that does not bring its own."""
        self._store = store
        self._audit = audit
        self._clock = clock
        self._protected = frozenset(protected_labels)
        self._verifier = verifier

    def is_protected(self, label: str) -> bool:
        return label in self._protected

    # --- versions ----------------------------------------------------------------------------

    async def push(
        self, source: str, actor: str, *, message: str = "", name: str | None = None
    ) -> Pushed:
        """Store `source` as the next version of its prompt: `name`, else the front matter's
        `name`. Invalid files are refused with the parser's message; a source identical to
        the latest version stores nothing (`created` False)."""
        prompt = _prompt_name(source, name)
        message = _message(message)
        digest = content_hash(source)
        for _ in range(PUSH_ATTEMPTS):
            latest = await self._store.latest(prompt)
            if latest is not None and latest.content_hash == digest:
                return Pushed(latest, created=False)
            parent = latest.version if latest is not None else None
            try:
                version = await self._store.add_version(
                    prompt, source, digest, author=actor, message=message, parent=parent
                )
            except VersionConflict:
                continue
            details = {
                "version": version.version,
                "parent": version.parent,
                "content_hash": digest,
                "message": message,
            }
            await self._record(actor, "prompt.push", prompt, details)
            return Pushed(version, created=True)
        raise Conflict(
            f"prompt '{prompt}' is being pushed by others at this moment; push again",
            param="source",
        )

    async def list(self) -> Sequence[PromptSummary]:
        """Every prompt by name, with its latest version number and its labels."""
        return await self._store.prompts()

    async def versions(self, name: str) -> Sequence[PromptVersion]:
        """Every version of the prompt, oldest first; `NotFound` when there is none."""
        found = await self._store.versions(check_prompt_name(name))
        if not found:
            raise _no_prompt(name)
        return found

    async def resolve(self, ref: str | PromptRef) -> PromptVersion:
        """The version a reference names (see `prompt_refs.parse_ref`). A label that splits
        traffic names several versions and is refused: name one of them."""
        if isinstance(ref, str):
            ref = parse_ref(ref)
        if ref.version is not None:
            return await self._version(ref.name, ref.version)
        if ref.label is None:
            latest = await self._store.latest(ref.name)
            if latest is None:
                raise _no_prompt(ref.name)
            return latest
        label = await self.get_label(ref.name, ref.label)
        if len(label.targets) > 1:
            raise InvalidRequest(
                f"label '{label.label}' of prompt '{label.name}' splits traffic between "
                f"{describe_targets(label.targets)}; name one version, as "
                f"{label.name}@v{label.targets[0].version}",
                param="ref",
            )
        return await self._version(ref.name, label.targets[0].version)

    async def show(self, ref: str | PromptRef) -> Shown:
        """The version a reference names, the labels pointing at it, and the latest number."""
        version = await self.resolve(ref)
        labels = tuple(
            label
            for label in await self._store.labels(version.name)
            if any(target.version == version.version for target in label.targets)
        )
        latest = await self._store.latest(version.name)
        return Shown(version, labels, latest.version if latest is not None else version.version)

    async def diff(self, a: str | PromptRef, b: str | PromptRef) -> PromptDiff:
        """A unified diff from the version `a` names to the one `b` names."""
        first, second = await self.resolve(a), await self.resolve(b)
        return PromptDiff(
            first, second, diff_prompts(first.source, second.source, first.ref, second.ref)
        )

    # --- labels ------------------------------------------------------------------------------

    async def labels(self, name: str) -> Sequence[PromptLabel]:
        """The prompt's labels by name; `NotFound` when there is no such prompt."""
        await self.versions(name)
        return await self._store.labels(name)

    async def get_label(self, name: str, label: str) -> PromptLabel:
        found = await self._store.get_label(check_prompt_name(name), check_label(label))
        if found is None:
            if await self._store.latest(name) is None:
                raise _no_prompt(name)
            raise NotFound(f"prompt '{name}' has no label '{label}'", param="label")
        return found

    async def promote(
        self,
        name: str,
        label: str,
        targets: Sequence[LabelTarget],
        *,
        actor: str,
        role: Role,
        note: str = "",
        verifier: PromotionVerifier | None = None,
    ) -> LabelChange:
        """Point `label` at `targets` (one version, or several with weights for a split): the
        one way a label moves. Refused (`PermissionDenied`) for a protected label unless the
        caller is an admin; `NotFound` for a version that does not exist. Then `verifier` (or
        this admin's own) judges the move, and its note goes into the label's history with
        `note`. A label already pointing at `targets` is left alone: nothing is recorded."""
        check_prompt_name(name)
        check_label(label)
        after = check_targets(list(targets))
        note = _note(note)
        self._check_may_move(label, role)
        current = await self._store.get_label(name, label)
        before = current.targets if current is not None else ()
        if current is not None and current.targets == after:
            return LabelChange(current, None)
        await self._require_versions(name, after)
        judge = verifier or self._verifier
        if judge is not None:
            verdict = await judge(Promotion(name, label, before, after, actor))
            note = "; ".join(part for part in (note, verdict) if part)
        try:
            move = await self._store.move_label(name, label, after, actor=actor, note=note)
        except PromptNotFound as error:
            raise NotFound(str(error), param="version") from None
        details = {
            "label": label,
            "before": _targets_json(move.before),
            "after": _targets_json(move.after),
            "note": note,
        }
        await self._record(actor, "prompt.label", name, details)
        return LabelChange(PromptLabel(name, label, move.after, move.at, move.actor), move)

    async def remove_label(self, name: str, label: str, *, actor: str, role: Role) -> LabelMove:
        """Remove the label (its history stays); protected labels by admins only."""
        check_prompt_name(name)
        check_label(label)
        self._check_may_move(label, role)
        try:
            move = await self._store.move_label(name, label, (), actor=actor)
        except PromptNotFound as error:
            await self.get_label(name, label)  # the precise NotFound: no prompt, or no label
            raise NotFound(str(error), param="label") from None
        details = {"label": label, "before": _targets_json(move.before), "after": []}
        await self._record(actor, "prompt.unlabel", name, details)
        return move

    async def history(self, name: str, label: str | None = None) -> Sequence[LabelMove]:
        """Every move of the prompt's labels (of one label when given), oldest first."""
        if label is not None:
            check_label(label)
        await self.versions(name)
        return await self._store.history(name, label)

    # --- helpers -----------------------------------------------------------------------------

    def _check_may_move(self, label: str, role: Role) -> None:
        if self.is_protected(label) and role is not Role.ADMIN:
            raise PermissionDenied(
                f"label '{label}' is protected: only an admin may move or remove it "
                f"(the role '{role}' may move other labels)"
            )

    async def _version(self, name: str, number: int) -> PromptVersion:
        found = await self._store.get_version(name, number)
        if found is not None:
            return found
        latest = await self._store.latest(name)
        if latest is None:
            raise _no_prompt(name)
        raise NotFound(
            f"prompt '{name}' has no version {number} (its latest is v{latest.version})",
            param="version",
        )

    async def _require_versions(self, name: str, targets: tuple[LabelTarget, ...]) -> None:
        for target in targets:
            await self._version(name, target.version)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.wall(), UTC)

    async def _record(
        self, actor: str, action: str, target: str, details: Mapping[str, object]
    ) -> None:
        await self._audit.append(AuditEntry(self._now(), actor, action, target, dict(details)))


def _prompt_name(source: str, explicit: str | None) -> str:
    """The name to push under: `explicit`, else the front matter's; the file must parse."""
    if not source.strip():
        raise InvalidRequest("the prompty file is empty", param="source")
    if len(source) > MAX_SOURCE_CHARS:
        raise InvalidRequest(
            f"the prompty file has {len(source)} characters; at most {MAX_SOURCE_CHARS} are "
            "accepted",
            param="source",
        )
    try:
        prompty = parse_prompty(source)
    except PromptyError as error:
        raise InvalidRequest(f"not a valid prompty file: {error}", param="source") from None
    if explicit is not None:
        return check_prompt_name(explicit)
    named = prompty.name
    if not named:
        raise InvalidRequest(
            "the file's front matter has no `name`: give the prompt's name explicitly",
            param="name",
        )
    if not isinstance(named, str) or not _is_name(named):
        raise InvalidRequest(
            f"the front matter's name {shown(named)} cannot name a registered prompt "
            "(1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit): "
            "give the prompt's name explicitly",
            param="name",
        )
    return named


def _is_name(name: str) -> bool:
    try:
        check_prompt_name(name)
    except InvalidRequest:
        return False
    return True


def _message(message: str) -> str:
    if len(message) > MAX_MESSAGE_LENGTH:
        raise InvalidRequest(
            f"the message has {len(message)} characters; at most {MAX_MESSAGE_LENGTH}",
            param="message",
        )
    return message.strip()


def _note(note: str) -> str:
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidRequest(
            f"the note has {len(note)} characters; at most {MAX_NOTE_LENGTH}", param="note"
        )
    return note.strip()


def _no_prompt(name: str) -> NotFound:
    return NotFound(f"no prompt '{name}'", param="name")


def _targets_json(targets: Sequence[LabelTarget]) -> list[dict[str, int]]:
    return [{"version": target.version, "weight": target.weight} for target in targets]
