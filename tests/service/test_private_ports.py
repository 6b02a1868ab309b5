"""A private instance holds no NodePort pair (issue #13): schema 6 and the repository."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from claworc_tui.config import Settings
from claworc_tui.db.migrations import LATEST, MIGRATIONS, migrate
from claworc_tui.models.errors import PortRangeExhausted
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import InstanceSpec
from claworc_tui.services.store import Store, open_store

RANGE = (30100, 30199)
V5_ROWS = [
    # id, name, chrome, terminal, exposure
    (3, "bot-a", 30100, 30101, "nodeport"),
    (7, "bot-b", 30102, 30103, "private"),
    (9, "bot-c", 30104, 30105, "nodeport"),
]


def spec(name: str) -> InstanceSpec:
    return InstanceSpec(display_name=name)


#: The schema version just before the table rebuild that lets the port columns be NULL.
BEFORE = 6


async def make_v5(path: Path) -> None:
    """A database as the schema version before the rebuild left it, with rows, a deleted id and
    activity (named after version 5, where the rebuild was written; 6 added a column only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(path) as conn:
        for migration in MIGRATIONS[:BEFORE]:
            await migration(conn)
        await conn.execute(f"PRAGMA user_version = {BEFORE}")
        for row_id, name, chrome, terminal, exposure in V5_ROWS:
            await conn.execute(
                "INSERT INTO instances (id, name, display_name, nodeport_chrome, "
                "nodeport_terminal, status, exposure, clawdbot_config, updated_at) "
                "VALUES (?, ?, ?, ?, ?, 'running', ?, '{\"a\": 1}', '2026-01-02 03:04:05.678')",
                (row_id, name, name.upper(), chrome, terminal, exposure),
            )
        await conn.execute(  # id 12 was used, then deleted: it must never come back
            "INSERT INTO instances (id, name, display_name, nodeport_chrome, nodeport_terminal) "
            "VALUES (12, 'gone', 'Gone', 30110, 30111)"
        )
        await conn.execute("DELETE FROM instances WHERE id = 12")
        await conn.execute(
            "INSERT INTO activity (at, instance, action, outcome) "
            "VALUES ('2026-01-01', 'bot-a', 'create', 'ok')"
        )
        await conn.commit()


def dump(path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], int]:
    """Schema text, every instance row, and the user_version — read with plain sqlite3."""
    raw = sqlite3.connect(path)
    try:
        schema = raw.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        rows = raw.execute("SELECT * FROM instances ORDER BY id").fetchall()
        version = raw.execute("PRAGMA user_version").fetchone()[0]
    finally:
        raw.close()
    return schema, rows, version


async def test_version_5_database_migrates_with_its_rows(settings: Settings) -> None:
    await make_v5(settings.db)
    store = await open_store(settings)
    try:
        a, b, c = [await store.instances.get(n) for n in ("bot-a", "bot-b", "bot-c")]
        assert (a.id, a.node_ports, a.exposure) == (3, (30100, 30101), Exposure.NODEPORT)
        assert (b.id, b.node_ports, b.exposure) == (7, None, Exposure.PRIVATE), "pair released"
        assert c.node_ports == (30104, 30105)
        assert a.clawdbot_config == '{"a": 1}'
        assert a.updated_at.microsecond == 678000, "the migration does not touch updated_at"
        assert b.updated_at == a.updated_at
        new = await store.instances.insert("bot-new", spec("new"), port_range=RANGE)
        assert new.id == 13, "ids are never reused (the AUTOINCREMENT counter was kept)"
        assert new.node_ports == (30102, 30103), "bot-b's released pair is free"
        activity = await store.activity.recent(10)
        assert [e.action for e in activity] == ["create"]
        # The trigger came back: an update moves updated_at.
        await store.instances.set_step("bot-a", "x")
        assert (await store.instances.get("bot-a")).updated_at > a.updated_at
    finally:
        await store.aclose()
    raw = sqlite3.connect(settings.db)
    try:
        names = {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
        assert {"instances_touch", "activity_at", "activity_instance"} <= names
        assert "instances_new" not in names
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            raw.execute("UPDATE instances SET nodeport_chrome = 30100 WHERE name = 'bot-c'")
        raw.execute("UPDATE instances SET nodeport_chrome = NULL WHERE name = 'bot-c'")
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        raw.close()


async def test_failed_migration_leaves_the_old_database_untouched(settings: Settings) -> None:
    """The disk fills up half-way through the table copy: the old version stays, byte for byte."""
    await make_v5(settings.db)
    before = dump(settings.db)
    async with aiosqlite.connect(settings.db) as conn:
        async with conn.execute("PRAGMA page_count") as cursor:
            row = await cursor.fetchone()
        assert row is not None
        await conn.execute(f"PRAGMA max_page_count = {row[0]}")
        with pytest.raises(sqlite3.OperationalError, match="full"):
            await migrate(conn)
        assert not conn.in_transaction
    assert dump(settings.db) == before
    assert before[2] == BEFORE
    store = await open_store(settings)  # and the next start migrates it
    try:
        assert (await store.instances.get("bot-b")).node_ports is None
        row = await store.db.fetchone("PRAGMA user_version")
        assert row is not None
        assert row[0] == LATEST
    finally:
        await store.aclose()


async def test_private_instance_takes_no_pair(store: Store) -> None:
    private = await store.instances.insert(
        "bot-p", spec("p"), port_range=RANGE, exposure=Exposure.PRIVATE
    )
    assert private.node_ports is None
    assert private.exposure is Exposure.PRIVATE
    assert await store.instances.used_ports() == set()
    public = await store.instances.insert("bot-q", spec("q"), port_range=RANGE)
    assert public.node_ports == (30100, 30101)


async def test_a_full_range_still_creates_private_instances(store: Store) -> None:
    await store.instances.insert("bot-a", spec("a"), port_range=(30100, 30101))
    with pytest.raises(PortRangeExhausted):
        await store.instances.insert("bot-b", spec("b"), port_range=(30100, 30101))
    private = await store.instances.insert(
        "bot-c", spec("c"), port_range=(30100, 30101), exposure=Exposure.PRIVATE
    )
    assert private.node_ports is None


async def test_switching_releases_and_takes_back_the_pair(store: Store) -> None:
    await store.instances.insert("bot-a", spec("a"), port_range=RANGE)
    await store.instances.insert("bot-b", spec("b"), port_range=RANGE)
    a = await store.instances.set_exposure("bot-a", Exposure.PRIVATE, port_range=RANGE)
    assert a.node_ports is None
    assert await store.instances.used_ports() == {30102, 30103}
    back = await store.instances.set_exposure("bot-a", Exposure.NODEPORT, port_range=RANGE)
    assert back.node_ports == (30100, 30101), "the old pair, still free, comes back"

    await store.instances.set_exposure("bot-a", Exposure.PRIVATE, port_range=RANGE)
    c = await store.instances.insert("bot-c", spec("c"), port_range=RANGE)
    assert c.node_ports == (30100, 30101), "a released pair is free for others"
    again = await store.instances.set_exposure("bot-a", Exposure.NODEPORT, port_range=RANGE)
    assert again.node_ports == (30104, 30105), "taken meanwhile: the lowest free pair"

    await store.instances.set_exposure("bot-a", Exposure.PRIVATE, port_range=RANGE)
    held = await store.instances.set_exposure(
        "bot-a", Exposure.NODEPORT, port_range=RANGE, skip_ports={30104, 30105}
    )
    assert held.node_ports == (30106, 30107), "a pair held in the cluster is skipped"


async def test_no_free_pair_to_go_back_changes_nothing(store: Store) -> None:
    tight = (30100, 30101)
    await store.instances.insert("bot-a", spec("a"), port_range=tight)
    await store.instances.set_exposure("bot-a", Exposure.PRIVATE, port_range=tight)
    await store.instances.insert("bot-b", spec("b"), port_range=tight)
    with pytest.raises(PortRangeExhausted):
        await store.instances.set_exposure("bot-a", Exposure.NODEPORT, port_range=tight)
    a = await store.instances.get("bot-a")
    assert (a.exposure, a.node_ports) == (Exposure.PRIVATE, None)
