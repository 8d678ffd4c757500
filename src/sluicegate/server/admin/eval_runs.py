"""`/admin/evals`: publish an evaluation run's summary, read one, list the runs of a prompt,
through `EvalRunAdmin`. A published run's id is what a promotion cites (`evaluation` in
`PUT /admin/prompts/{name}/labels/{label}`).

Reading is for admins and operators; publishing is `author` access, like pushing prompts.
"""

from __future__ import annotations

from sluicegate.admin.eval_runs import EvalRunAdmin
from sluicegate.core.evaluations import EvalRunInfo
from sluicegate.server.admin.dataset_schemas import (
    EvalPublishedView,
    EvalRunInfoView,
    EvalRunList,
    EvalRunQuery,
    EvalRunView,
    EvalSummaryBody,
)
from sluicegate.server.admin.endpoints import Answer, Call, Endpoint

TAG = "evaluations"


class EvalRunEndpoints:
    def __init__(self, admin: EvalRunAdmin) -> None:
        self._admin = admin

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(
                "POST", "/admin/evals", self.publish, "Publish an evaluation run's summary",
                "author", TAG, EvalPublishedView, body=EvalSummaryBody, status=201,
                other_statuses=(200,),
                description="The body is the run's `summary.json`. 201 with the new run; 200 "
                "and `created: false` when the same summary was published before (the id is "
                "derived from it). A body that is not a summary is refused (400) naming the "
                "field.",
            ),
            Endpoint(
                "GET", "/admin/evals", self.list, "List published runs, newest first", "read",
                TAG, EvalRunList, query=EvalRunQuery,
            ),
            Endpoint(
                "GET", "/admin/evals/{id}", self.show, "Show a published run with its summary",
                "read", TAG, EvalRunView, refusals=(404,),
            ),
        ]  # fmt: skip

    async def publish(self, call: Call) -> Answer:
        summary = call.body_as(EvalSummaryBody).model_dump()
        published = await self._admin.publish(summary, call.actor)
        view = EvalPublishedView(created=published.created, run=run_info_view(published.run))
        return Answer(view, 201 if published.created else 200)

    async def list(self, call: Call) -> Answer:
        query = call.query_as(EvalRunQuery)
        runs = await self._admin.list(query.prompt, query.limit)
        return Answer(EvalRunList(data=[run_info_view(run) for run in runs]))

    async def show(self, call: Call) -> Answer:
        run = await self._admin.get(call.path("id"))
        return Answer(
            EvalRunView(**run_info_view(run.info).model_dump(), summary=dict(run.summary))
        )


def run_info_view(info: EvalRunInfo) -> EvalRunInfoView:
    return EvalRunInfoView(
        id=info.id,
        prompts=list(info.prompts),
        baseline=list(info.baseline),
        candidates=list(info.candidates),
        complete=info.complete,
        published_by=info.published_by,
        published_at=info.published_at,
    )
