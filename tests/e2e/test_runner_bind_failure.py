"""A server that cannot bind stops the work its startup hooks began before it reports why, so
no background task is left for the event loop's teardown to cancel mid-transaction."""

from __future__ import annotations

import asyncio
import errno
import socket

import pytest
from aiohttp import web

from sluicegate.server.runner import start_serving

pytestmark = pytest.mark.e2e


class BackgroundWork:
    """Stands in for the ledger writer or a poller: started on startup, stopped on cleanup."""

    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None
        self.stopped_by_cleanup = False

    async def start(self, app: web.Application) -> None:
        self.task = asyncio.create_task(asyncio.Event().wait())

    async def stop(self, app: web.Application) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        self.stopped_by_cleanup = True


def app_running(work: BackgroundWork) -> web.Application:
    app = web.Application()
    app.on_startup.append(work.start)
    app.on_cleanup.append(work.stop)
    return app


async def test_a_port_in_use_raises_after_the_startup_work_is_stopped() -> None:
    work = BackgroundWork()
    app = app_running(work)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="address already in use") as raised:
            await start_serving(app, "127.0.0.1", port, grace=1.0)
    assert raised.value.errno == errno.EADDRINUSE
    assert work.task is not None
    assert work.task.done()
    assert work.stopped_by_cleanup


async def test_a_free_port_serves_and_leaves_the_startup_work_running() -> None:
    work = BackgroundWork()
    app = app_running(work)
    serving = await start_serving(app, "127.0.0.1", 0, grace=1.0)
    try:
        assert serving.url.startswith("http://127.0.0.1:")
        assert work.task is not None
        assert not work.task.done()
    finally:
        await serving.stop()
    assert work.stopped_by_cleanup
