"""A process writing usage records is killed with SIGKILL; every record whose `record()`
returned before the kill is in the ledger once a new writer has replayed the spool."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sqlalchemy import select
from tests.contract.conftest import SqlTarget

import sluicegate
from sluicegate.stores.ledger_writer import LedgerWriter, LedgerWriterOptions
from sluicegate.stores.sql import Database, SqlLedgerStore
from sluicegate.stores.sql.schema import usage_records

REPORTED_BEFORE_KILL = 3000
WAIT = 60.0
SOURCE_ROOT = str(Path(sluicegate.__file__).resolve().parents[1])
"""Where the child process imports the package from, whatever the install."""

WRITER_SCRIPT = """
import asyncio, sys
from datetime import UTC, datetime
from pathlib import Path
from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.ledger_writer import LedgerWriter, LedgerWriterOptions
from sluicegate.stores.sql import Database, DatabaseOptions, SqlLedgerStore

async def main(url: str, schema: str, spool: str) -> None:
    database = Database(url, DatabaseOptions(schema=schema or None, pool_size=2))
    options = LedgerWriterOptions(batch_size=64, flush_interval_s=0.05)
    writer = LedgerWriter(SqlLedgerStore(database), Path(spool), options)
    await writer.start()
    for n in range(10_000_000):
        request_id = f"kill-{n:07d}"
        await writer.record(UsageRecord(
            request_id, datetime.now(UTC), "key-a", "search", "gpt-4o", "ptu", 200,
            prompt_tokens=n,
        ))
        sys.stdout.write(request_id + "\\n")  # reported only once its hook has returned
        sys.stdout.flush()
        await asyncio.sleep(0)  # let the writer drain, as a serving gateway would

asyncio.run(main(*sys.argv[1:4]))
"""


async def read_reported(stdout: asyncio.StreamReader, until: int) -> list[str]:
    reported: list[str] = []
    while len(reported) < until:
        line = await stdout.readline()
        if not line.endswith(b"\n"):
            raise AssertionError(f"the writer process ended early after {len(reported)} records")
        reported.append(line.decode().strip())
    return reported


async def test_every_reported_record_survives_a_sigkill(
    sql_target: SqlTarget, sql_db: Database, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    script = tmp_path / "writer.py"
    script.write_text(WRITER_SCRIPT)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([SOURCE_ROOT, os.environ.get("PYTHONPATH", "")]),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        sql_target.url,
        sql_target.options.schema or "",
        str(spool),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        async with asyncio.timeout(WAIT):
            reported = await read_reported(process.stdout, REPORTED_BEFORE_KILL)
    except BaseException:
        process.kill()
        await process.wait()
        raise AssertionError((await process.stderr.read()).decode()[-2000:]) from None
    process.send_signal(signal.SIGKILL)
    rest = await process.stdout.read()  # what it reported between our last read and the kill
    reported += [line.decode() for line in rest.split(b"\n")[:-1]]  # a torn last line: not
    assert await process.wait() == -signal.SIGKILL
    await process.stderr.read()

    replay = LedgerWriter(SqlLedgerStore(sql_db), spool, LedgerWriterOptions(batch_size=64))
    await replay.start()
    replayed = replay.lag().pending
    assert await replay.flush(WAIT)
    assert await replay.stop()

    async with sql_db.engine.connect() as conn:
        stored = [row[0] for row in await conn.execute(select(usage_records.c.request_id))]
    assert len(stored) == len(set(stored))
    missing = set(reported) - set(stored)
    assert not missing, f"{len(missing)} reported records lost, e.g. {sorted(missing)[:3]}"
    # Nothing was invented: the ledger holds a prefix of what the process wrote.
    assert sorted(stored) == [f"kill-{n:07d}" for n in range(len(stored))]
    assert replay.lag().written == replayed
