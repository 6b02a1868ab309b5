"""A write cancelled while its BEGIN runs leaves the connection usable (a real SQLite file)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from claworc_tui.db.database import Database


async def test_a_write_cancelled_during_begin_does_not_leave_a_transaction_open(
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "c.db")
    await db.start()
    try:

        async def write() -> None:
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO settings (key, value) VALUES ('x', 'y')")

        task = asyncio.create_task(write())
        # Let the task reach the await of BEGIN (it runs on aiosqlite's thread), then cancel
        # it there, as quitting the app or a timeout does.
        await asyncio.sleep(0)
        assert not task.done()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # The next write works: no "cannot start a transaction within a transaction".
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO settings (key, value) VALUES ('a', 'b')")
        rows = await db.fetchall("SELECT key FROM settings WHERE key IN ('a', 'x')")
        assert [r[0] for r in rows] == ["a"]
        assert not db.conn.in_transaction
    finally:
        await db.aclose()
