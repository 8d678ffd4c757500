"""`/admin/prompts`: push, list, show and compare prompt versions, move and remove labels, read
a label's history, through `PromptAdmin`.

Reading is for admins and operators. Pushing and moving labels is `author` access: admins and
operators, except that a protected label (`prompts.protected_labels`) is moved by admins only,
which `PromptAdmin` decides from the caller's role. The replica that moved a label reloads its
labels at once (`labels_changed`); the others take the move in on their next reload
(`prompts.refresh_seconds`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sluicegate.admin.evaluation_gate import EvaluationGate
from sluicegate.admin.prompt_refs import PromptRef, parse_ref
from sluicegate.admin.prompts import PromptAdmin
from sluicegate.core.errors import InvalidRequest
from sluicegate.core.prompts import LabelMove, LabelTarget, PromptLabel, PromptVersion
from sluicegate.server.admin.endpoints import Answer, Call, Endpoint
from sluicegate.server.admin.prompt_schemas import (
    DiffQuery,
    DiffView,
    HistoryQuery,
    LabelChangeView,
    LabelDeleted,
    LabelHistory,
    LabelMoveView,
    LabelPut,
    LabelTargetView,
    LabelView,
    PromptList,
    PromptPush,
    PromptSummaryView,
    PromptView,
    PushedView,
    VersionSummaryView,
    VersionView,
)

TAG = "prompts"
PromptLabelsChanged = Callable[[], Awaitable[None]]
"""Tell this replica's prompt resolution that a label moved, so that it reloads now."""


class PromptEndpoints:
    def __init__(
        self,
        admin: PromptAdmin,
        labels_changed: PromptLabelsChanged | None = None,
        gate: EvaluationGate | None = None,
    ) -> None:
        """`gate` judges label moves that cite an evaluation run."""
        self._admin = admin
        self._labels_changed = labels_changed
        self._gate = gate

    async def _changed(self) -> None:
        if self._labels_changed is not None:
            await self._labels_changed()

    def endpoints(self) -> list[Endpoint]:
        one = "/admin/prompts/{name}"
        label = f"{one}/labels/{{label}}"
        return [
            Endpoint(
                "GET", "/admin/prompts", self.list, "List prompts with their labels", "read",
                TAG, PromptList,
            ),
            Endpoint(
                "POST", "/admin/prompts", self.push, "Push a prompty file as a new version",
                "author", TAG, PushedView, body=PromptPush, status=201, other_statuses=(200,),
                refusals=(409,),
                description="201 with the new version; 200 and `created: false` when the "
                "source is identical to the latest version (nothing is stored). An invalid "
                "file is refused (400) with the parser's message, naming the line.",
            ),
            Endpoint(
                "GET", one, self.show_prompt, "Show a prompt: its labels and versions",
                "read", TAG, PromptView, refusals=(404,),
            ),
            Endpoint(
                "GET", f"{one}/versions/{{ref}}", self.show_version,
                "Show a version with its source", "read", TAG, VersionView, refusals=(404,),
                description="`{ref}`: a version (`3`, `v3`) or a label that points at one "
                "version.",
            ),
            Endpoint(
                "GET", f"{one}/diff", self.diff, "Compare two versions", "read", TAG,
                DiffView, query=DiffQuery, refusals=(404,),
            ),
            Endpoint(
                "PUT", label, self.move_label, "Point a label at a version or a split",
                "author", TAG, LabelChangeView, body=LabelPut, refusals=(404, 409),
                description="Protected labels (`prompts.protected_labels`, by default "
                "`production`) are moved by admins only (403 for operators). Label names "
                "cannot look like versions. Every move is kept in the label's history. With "
                "`evaluation`, the move is made only if that published run allows it (409 "
                "`evaluation_failed` says which rule failed, and the history's note records the "
                "run and its verdicts); labels in `prompts.require_evaluation` move only so "
                "(409 `evaluation_required`).",
            ),
            Endpoint(
                "DELETE", label, self.remove_label, "Remove a label", "author", TAG,
                LabelDeleted, refusals=(404,),
                description="Its history stays; protected labels are removed by admins only.",
            ),
            Endpoint(
                "GET", f"{one}/history", self.history, "Label moves, oldest first", "read",
                TAG, LabelHistory, query=HistoryQuery, refusals=(404,),
            ),
        ]  # fmt: skip

    async def list(self, call: Call) -> Answer:
        summaries = await self._admin.list()
        return Answer(
            PromptList(
                data=[
                    PromptSummaryView(
                        name=summary.name,
                        latest=summary.latest,
                        labels=[label_view(label) for label in summary.labels],
                        updated_at=summary.updated_at,
                    )
                    for summary in summaries
                ]
            )
        )

    async def push(self, call: Call) -> Answer:
        body = call.body_as(PromptPush)
        pushed = await self._admin.push(
            body.source, call.actor, message=body.message, name=body.name
        )
        view = PushedView(created=pushed.created, version=version_summary(pushed.version))
        return Answer(view, 201 if pushed.created else 200)

    async def show_prompt(self, call: Call) -> Answer:
        name = call.path("name")
        versions = await self._admin.versions(name)
        labels = await self._admin.labels(name)
        return Answer(
            PromptView(
                name=name,
                latest=versions[-1].version,
                labels=[label_view(label) for label in labels],
                versions=[version_summary(version) for version in versions],
            )
        )

    async def show_version(self, call: Call) -> Answer:
        shown = await self._admin.show(_ref(call.path("name"), call.path("ref")))
        version = shown.version
        return Answer(
            VersionView(
                **version_summary(version).model_dump(),
                source=version.source,
                labels=[label.label for label in shown.labels],
                latest=shown.latest,
            )
        )

    async def diff(self, call: Call) -> Answer:
        query = call.query_as(DiffQuery)
        name = call.path("name")
        compared = await self._admin.diff(_ref(name, query.from_), _ref(name, query.to))
        return Answer(DiffView(from_=compared.a.ref, to=compared.b.ref, diff=compared.text))

    async def move_label(self, call: Call) -> Answer:
        body = call.body_as(LabelPut)
        if body.targets is not None:
            targets = [LabelTarget(target.version, target.weight) for target in body.targets]
        else:
            assert body.version is not None  # the model requires one of the two
            targets = [LabelTarget(body.version)]
        verifier = None
        if body.evaluation is not None:
            if self._gate is None:
                raise InvalidRequest("this gateway keeps no evaluation runs", param="evaluation")
            verifier = self._gate.verifier(body.evaluation, body.metrics or ())
        change = await self._admin.promote(
            call.path("name"),
            call.path("label"),
            targets,
            actor=call.actor,
            role=call.principal.role,
            note=body.note,
            verifier=verifier,
        )
        if change.changed:
            await self._changed()
        return Answer(LabelChangeView(label=label_view(change.label), changed=change.changed))

    async def remove_label(self, call: Call) -> Answer:
        name, label = call.path("name"), call.path("label")
        await self._admin.remove_label(name, label, actor=call.actor, role=call.principal.role)
        await self._changed()
        return Answer(LabelDeleted(name=name, label=label))

    async def history(self, call: Call) -> Answer:
        label = call.query_as(HistoryQuery).label
        moves = await self._admin.history(call.path("name"), label)
        return Answer(LabelHistory(data=[move_view(move) for move in moves]))


def _ref(name: str, selector: str) -> PromptRef:
    """`name@selector`, checked as a whole, so a selector cannot name another prompt."""
    return parse_ref(f"{name}@{selector}", "ref")


def targets_view(targets: Sequence[LabelTarget]) -> list[LabelTargetView]:
    return [LabelTargetView(version=target.version, weight=target.weight) for target in targets]


def label_view(label: PromptLabel) -> LabelView:
    return LabelView(
        label=label.label,
        targets=targets_view(label.targets),
        updated_at=label.updated_at,
        updated_by=label.updated_by,
    )


def version_summary(version: PromptVersion) -> VersionSummaryView:
    return VersionSummaryView(
        name=version.name,
        version=version.version,
        ref=version.ref,
        content_hash=version.content_hash,
        parent=version.parent,
        author=version.author,
        message=version.message,
        created_at=version.created_at,
    )


def move_view(move: LabelMove) -> LabelMoveView:
    return LabelMoveView(
        label=move.label,
        before=targets_view(move.before),
        after=targets_view(move.after),
        actor=move.actor,
        at=move.at,
        note=move.note,
    )
