"""Migration 7 (port columns may be NULL) runs again harmlessly, and refuses a schema it does
not know with the project's DatabaseError, not a bare RuntimeError — on real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from claworc_tui.config import Settings
from claworc_tui.db.migrations import LATEST, MIGRATIONS, SPEC_SCHEMA
from claworc_tui.models.errors import DatabaseError
from claworc_tui.models.exposure import Exposure
from claworc_tui.services.store import open_store
from tests.service.test_private_ports import BEFORE, dump, make_v5


async def test_migration_7_applied_twice_changes_nothing_more(settings: Settings) -> None:
    """A database that had migration 7 but not its user_version bump (run by hand, or a build
    that crashed between the two) migrates again without 'duplicate column'."""
    await make_v5(settings.db)
    async with aiosqlite.connect(settings.db) as conn:
        await MIGRATIONS[BEFORE](conn)  # migration 7, user_version left at 6
        await conn.commit()
    schema, rows, version = dump(settings.db)
    assert version == BEFORE
    store = await open_store(settings)
    try:
        b = await store.instances.get("bot-b")
        assert (b.exposure, b.node_ports) == (Exposure.PRIVATE, None)
        assert (await store.instances.get("bot-a")).node_ports == (30100, 30101)
    finally:
        await store.aclose()
    schema_after, rows_after, version_after = dump(settings.db)
    assert version_after == LATEST
    assert rows_after == rows, "the rows (prior_nodeport of bot-b too) are as the first run left"
    assert [s for s in schema_after if s[1] == "instances"] == [
        s for s in schema if s[1] == "instances"
    ]


async def make_odd_v6(path: Path) -> None:
    """Version 6, but the port columns declared in another order ("NOT NULL UNIQUE")."""
    path.parent.mkdir(parents=True, exist_ok=True)
    odd = SPEC_SCHEMA.replace("INTEGER UNIQUE NOT NULL", "INTEGER NOT NULL UNIQUE")
    async with aiosqlite.connect(path) as conn:
        await conn.executescript(odd)
        for migration in MIGRATIONS[:BEFORE]:
            await migration(conn)
        await conn.execute(f"PRAGMA user_version = {BEFORE}")
        await conn.execute(
            "INSERT INTO instances (name, display_name, nodeport_chrome, nodeport_terminal) "
            "VALUES ('bot-a', 'A', 30100, 30101)"
        )
        await conn.commit()


async def test_an_unknown_schema_is_refused_with_a_database_error(settings: Settings) -> None:
    await make_odd_v6(settings.db)
    before = dump(settings.db)
    with pytest.raises(DatabaseError, match="cannot migrate the database to schema 7") as err:
        await open_store(settings)
    assert "left unchanged" in str(err.value)
    assert dump(settings.db) == before
    raw = sqlite3.connect(settings.db)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == BEFORE
    finally:
        raw.close()
