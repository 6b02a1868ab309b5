"""A read-only database creates nothing beside the file, and still sees other writers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from claworc_tui.config import Settings
from claworc_tui.db.database import Database
from claworc_tui.services.store import open_store


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_reader_writes_nothing_and_sees_a_later_write(settings: Settings) -> None:
    store = await open_store(settings)  # creates and migrates the file
    await store.aclose()
    assert _names(settings.db.parent) == ["claworc.db"]
    reader = Database(settings.db, read_only=True)
    await reader.start()
    try:
        assert _names(settings.db.parent) == ["claworc.db"]
        first = await reader.data_version()
        assert await reader.fetchone("SELECT value FROM settings WHERE key = 'node_host'") is None
        with sqlite3.connect(settings.db) as writer:  # another process's write, then it closes
            writer.execute(
                "INSERT INTO settings (key, value, updated_at) VALUES ('node_host', 'n1', 'now')"
            )
        writer.close()
        row = await reader.fetchone("SELECT value FROM settings WHERE key = 'node_host'")
        assert row is not None
        assert row[0] == "n1"
        assert await reader.data_version() != first
    finally:
        await reader.aclose()
    assert _names(settings.db.parent) == ["claworc.db"]
