"""`/admin/datasets`: push evaluation datasets as immutable versions, list and read them
(`sluicegate eval run --dataset NAME@vN` fetches a version's content here), through
`DatasetAdmin`.

Reading is for admins and operators; pushing is `author` access, like prompts.
"""

from __future__ import annotations

from sluicegate.admin.datasets import DatasetAdmin, DatasetRef, parse_version
from sluicegate.core.datasets import DatasetInfo
from sluicegate.server.admin.dataset_schemas import (
    DatasetContentView,
    DatasetInfoView,
    DatasetList,
    DatasetPush,
    DatasetPushedView,
    DatasetVersionView,
    DatasetView,
    PreviewLineView,
    PreviewQuery,
)
from sluicegate.server.admin.endpoints import Answer, Call, Endpoint

TAG = "datasets"
REF_TEXT = "`{ref}`: a version (`3` or `v3`) or `latest`."


class DatasetEndpoints:
    def __init__(self, admin: DatasetAdmin) -> None:
        self._admin = admin

    def endpoints(self) -> list[Endpoint]:
        one = "/admin/datasets/{name}"
        version = f"{one}/versions/{{ref}}"
        return [
            Endpoint(
                "GET", "/admin/datasets", self.list, "List datasets (their latest versions)",
                "read", TAG, DatasetList,
            ),
            Endpoint(
                "POST", "/admin/datasets", self.push, "Push a JSONL file as a new version",
                "author", TAG, DatasetPushedView, body=DatasetPush, status=201,
                other_statuses=(200,), refusals=(409,),
                description="201 with the new version; 200 and `created: false` when the "
                "content is identical to the latest version (nothing is stored). Every line is "
                "checked as `sluicegate eval run` reads it; a bad line is refused (400) naming "
                "its number. The request body is limited by `server.max_body_bytes`.",
            ),
            Endpoint(
                "GET", one, self.show_dataset, "Show a dataset's versions", "read", TAG,
                DatasetView, refusals=(404,),
            ),
            Endpoint(
                "GET", version, self.show_version, "Show a version and its first items",
                "read", TAG, DatasetVersionView, query=PreviewQuery, refusals=(404,),
                description=REF_TEXT,
            ),
            Endpoint(
                "GET", f"{version}/content", self.content, "A version's JSONL content",
                "read", TAG, DatasetContentView, refusals=(404,),
                description=f"{REF_TEXT} `content` is the text exactly as it was pushed.",
            ),
        ]  # fmt: skip

    async def list(self, call: Call) -> Answer:
        return Answer(DatasetList(data=[info_view(info) for info in await self._admin.list()]))

    async def push(self, call: Call) -> Answer:
        body = call.body_as(DatasetPush)
        pushed = await self._admin.push(
            body.content, call.actor, name=body.name, description=body.description
        )
        view = DatasetPushedView(
            created=pushed.created, skipped=pushed.skipped, version=info_view(pushed.info)
        )
        return Answer(view, 201 if pushed.created else 200)

    async def show_dataset(self, call: Call) -> Answer:
        name = call.path("name")
        versions = await self._admin.versions(name)
        return Answer(
            DatasetView(
                name=name,
                latest=versions[-1].version,
                versions=[info_view(info) for info in versions],
            )
        )

    async def show_version(self, call: Call) -> Answer:
        limit = call.query_as(PreviewQuery).limit
        shown = await self._admin.show(_ref(call), limit)
        return Answer(
            DatasetVersionView(
                **info_view(shown.info).model_dump(),
                latest=shown.latest,
                preview=[PreviewLineView(line=p.line, value=p.value) for p in shown.preview],
            )
        )

    async def content(self, call: Call) -> Answer:
        version = await self._admin.resolve(_ref(call))
        return Answer(
            DatasetContentView(**info_view(version.info).model_dump(), content=version.content)
        )


def _ref(call: Call) -> DatasetRef:
    name, ref = call.path("name"), call.path("ref")
    return DatasetRef(name, None if ref == "latest" else parse_version(ref, "ref"))


def info_view(info: DatasetInfo) -> DatasetInfoView:
    return DatasetInfoView(
        name=info.name,
        version=info.version,
        ref=info.ref,
        items=info.items,
        content_hash=info.content_hash,
        description=info.description,
        author=info.author,
        created_at=info.created_at,
    )
