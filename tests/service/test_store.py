"""The records layer on a real SQLite file."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from claworc_tui.config import Settings
from claworc_tui.crypto.sealing import new_key
from claworc_tui.db.migrations import LATEST, SPEC_SCHEMA
from claworc_tui.models.errors import (
    DatabaseError,
    NameTaken,
    PortRangeExhausted,
    ValidationFailed,
    WrongEncryptionKey,
)
from claworc_tui.models.instance import InstanceSpec, InstanceStatus, Provider, Resources, Storage
from claworc_tui.services.store import KeySource, Store, open_store

ANTHROPIC = "sk-ant-api03.FAKEFAKE.FAKEFAKE.FAKE-0000-9f2c"
OPENAI = "sk-proj-FAKEopenaiFAKEopenaiFAKE-1234"


def spec(name: str = "Bot Alpha", **kwargs: object) -> InstanceSpec:
    return InstanceSpec(display_name=name, **kwargs)


async def test_new_database_is_owner_only_and_migrated(store: Store, settings: Settings) -> None:
    assert stat.S_IMODE(settings.db.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.db.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    assert store.key_source is KeySource.NEW_FILE
    row = await store.db.fetchone("PRAGMA user_version")
    assert row is not None
    assert row[0] == LATEST
    mode = await store.db.fetchone("PRAGMA journal_mode")
    assert mode is not None
    assert mode[0] == "wal"
    fk = await store.db.fetchone("PRAGMA foreign_keys")
    assert fk is not None
    assert fk[0] == 1


async def test_insert_allocates_lowest_even_pair(store: Store) -> None:
    a = await store.instances.insert("bot-a", spec("a"), port_range=(30100, 30199))
    b = await store.instances.insert("bot-b", spec("b"), port_range=(30100, 30199))
    assert (a.nodeport_chrome, a.nodeport_terminal) == (30100, 30101)
    assert (b.nodeport_chrome, b.nodeport_terminal) == (30102, 30103)
    assert a.status is InstanceStatus.CREATING
    await store.instances.delete("bot-a")
    c = await store.instances.insert("bot-c", spec("c"), port_range=(30100, 30199))
    assert c.nodeport_chrome == 30100, "a deleted row frees its pair"


async def test_insert_skips_ports_held_in_the_cluster(store: Store) -> None:
    a = await store.instances.insert(
        "bot-a", spec("a"), port_range=(30100, 30199), skip_ports={30100, 30103}
    )
    assert a.nodeport_chrome == 30104


async def test_exhausted_range_says_so(store: Store) -> None:
    for i in range(3):
        await store.instances.insert(f"bot-{i}", spec(str(i)), port_range=(30100, 30105))
    with pytest.raises(PortRangeExhausted, match="all 3 port pairs in 30100-30105 are in use"):
        await store.instances.insert("bot-x", spec("x"), port_range=(30100, 30105))
    assert len(await store.instances.list()) == 3


async def test_name_taken(store: Store) -> None:
    await store.instances.insert("bot-a", spec("a"), port_range=(30100, 30199))
    with pytest.raises(NameTaken, match="an instance named bot-a already exists"):
        await store.instances.insert("bot-a", spec("A"), port_range=(30100, 30199))


async def test_updated_at_changes_on_every_update(store: Store) -> None:
    a = await store.instances.insert("bot-a", spec("a"), port_range=(30100, 30199))
    seen = [a.updated_at]
    for status in (InstanceStatus.RUNNING, InstanceStatus.STOPPING, InstanceStatus.STOPPED):
        await asyncio.sleep(0.002)
        seen.append((await store.instances.set_status("bot-a", status)).updated_at)
    await asyncio.sleep(0.002)
    seen.append((await store.instances.set_resources("bot-a", Resources(cpu_limit="3"))).updated_at)
    assert seen == sorted(seen)
    assert len(set(seen)) == len(seen)
    # A write from outside the repository moves it too (trigger).
    await asyncio.sleep(0.002)
    async with store.db.transaction() as conn:
        await conn.execute("UPDATE instances SET display_name = 'z' WHERE name = 'bot-a'")
    assert (await store.instances.get("bot-a")).updated_at > seen[-1]


async def test_every_setter_writes_its_own_columns(store: Store) -> None:
    """Each setter's columns read back as written, the others' untouched."""
    await store.instances.insert("bot-a", spec("a"), port_range=(30100, 30199))
    await store.instances.insert("bot-b", spec("b"), port_range=(30100, 30199))
    before_b = await store.instances.get("bot-b")
    resources = Resources(
        cpu_request="250m", cpu_limit="1", memory_request="512Mi", memory_limit="2Gi"
    )
    storage = Storage(clawdbot="1Gi", homebrew="2Gi", clawd="3Gi", chrome="4Gi")
    await store.instances.set_resources("bot-a", resources)
    await store.instances.set_storage("bot-a", storage)
    await store.instances.set_config("bot-a", '{"a": 1}')
    await store.instances.set_image("bot-a", "example.com/bot:2")
    await store.instances.set_override("bot-a", Provider.OPENAI, SecretStr(OPENAI))
    await store.instances.set_status(
        "bot-a", InstanceStatus.ERROR, detail="boom", step="pods", owner="host:1"
    )
    a = await store.instances.get("bot-a")
    assert (a.resources, a.storage, a.clawdbot_config) == (resources, storage, '{"a": 1}')
    assert (a.image, a.overrides) == ("example.com/bot:2", frozenset({Provider.OPENAI}))
    assert (a.status, a.status_detail) == (InstanceStatus.ERROR, "boom")
    assert (a.op_step, a.op_owner) == ("pods", "host:1")
    assert (await store.instances.overrides("bot-a"))[Provider.OPENAI].get_secret_value() == OPENAI
    assert await store.instances.get("bot-b") == before_b
    await store.instances.set_step("bot-a", "service")
    assert (await store.instances.get("bot-a")).op_step == "service"


async def test_keys_are_sealed_in_the_raw_file(store: Store, settings: Settings) -> None:
    await store.instances.insert(
        "bot-a",
        spec("a", api_keys={Provider.ANTHROPIC: SecretStr(ANTHROPIC)}),
        port_range=(30100, 30199),
    )
    await store.settings.set_key(Provider.OPENAI, SecretStr(OPENAI))
    got = await store.instances.overrides("bot-a")
    assert got[Provider.ANTHROPIC].get_secret_value() == ANTHROPIC
    assert (await store.settings.keys())[Provider.OPENAI].get_secret_value() == OPENAI
    await store.db.conn.execute("PRAGMA wal_checkpoint(FULL)")
    for path in settings.db.parent.iterdir():
        raw = path.read_bytes()
        assert ANTHROPIC.encode() not in raw, path
        assert OPENAI.encode() not in raw, path
        assert b"FAKEFAKE" not in raw, path
    instance = await store.instances.get("bot-a")
    assert instance.overrides == frozenset({Provider.ANTHROPIC})
    assert ANTHROPIC not in repr(instance)


async def test_wrong_key_refuses_and_changes_nothing(settings: Settings) -> None:
    first = await open_store(settings)
    await first.settings.set_key(Provider.OPENAI, SecretStr(OPENAI))
    await first.aclose()
    before = hashlib.sha256(settings.db.read_bytes()).hexdigest()
    settings.key_file.write_bytes(new_key())
    with pytest.raises(WrongEncryptionKey, match="encrypted with a different key"):
        await open_store(settings)
    other = Settings(db=settings.db, fernet_key=SecretStr(new_key().decode()))
    with pytest.raises(WrongEncryptionKey):
        await open_store(other)
    assert hashlib.sha256(settings.db.read_bytes()).hexdigest() == before


async def test_env_key_is_used_and_no_key_file_written(settings: Settings) -> None:
    key = new_key().decode()
    opened = await open_store(Settings(db=settings.db, fernet_key=SecretStr(key)))
    await opened.aclose()
    assert opened.key_source is KeySource.ENV
    assert not settings.key_file.exists()


@pytest.mark.parametrize("content", [b"this is not a database at all" * 10, b"\x00" * 4096])
async def test_corrupt_file_is_named_and_left_untouched(settings: Settings, content: bytes) -> None:
    settings.db.parent.mkdir(parents=True)
    settings.db.write_bytes(content)
    with pytest.raises(DatabaseError, match=str(settings.db)):
        await open_store(settings)
    assert settings.db.read_bytes() == content
    assert not Path(f"{settings.db}-wal").exists()


async def test_damaged_sqlite_file_is_left_untouched(settings: Settings) -> None:
    opened = await open_store(settings)
    await opened.instances.insert("bot-a", spec("a"), port_range=(30100, 30199))
    await opened.aclose()
    data = bytearray(settings.db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    settings.db.write_bytes(bytes(data))
    with pytest.raises(DatabaseError, match=str(settings.db)):
        await open_store(settings)
    assert settings.db.read_bytes() == bytes(data)


async def test_database_from_the_spec_schema_opens_and_works(settings: Settings) -> None:
    settings.db.parent.mkdir(parents=True)
    legacy_key = new_key()
    from claworc_tui.crypto.sealing import Sealer

    sealed = Sealer(legacy_key).seal(ANTHROPIC)
    raw = sqlite3.connect(settings.db)
    raw.executescript(SPEC_SCHEMA)
    raw.execute(
        "INSERT INTO instances (name, display_name, nodeport_chrome, nodeport_terminal, status, "
        "anthropic_api_key) VALUES ('bot-old', 'Old', 30100, 30101, 'running', ?)",
        (sealed,),
    )
    raw.execute(
        "INSERT INTO settings (key, value) VALUES ('fernet_key', ?)", (legacy_key.decode(),)
    )
    raw.execute("INSERT INTO settings (key, value) VALUES ('default_cpu_limit', '3')")
    raw.commit()
    raw.close()
    opened = await open_store(settings)
    try:
        assert opened.key_source is KeySource.DATABASE
        assert opened.warnings
        assert "beside the keys" in opened.warnings[0]
        old = await opened.instances.get("bot-old")
        assert old.storage.chrome == "5Gi"
        assert old.status is InstanceStatus.RUNNING
        keys = await opened.instances.overrides("bot-old")
        assert keys[Provider.ANTHROPIC].get_secret_value() == ANTHROPIC
        current = await opened.settings.get()
        assert current.legacy_key_in_db
        assert current.default_resources.cpu_limit == "3"
        new = await opened.instances.insert("bot-new", spec("new"), port_range=(30100, 30199))
        assert new.nodeport_chrome == 30102
    finally:
        await opened.aclose()


async def test_read_only_folder_gives_a_clear_error(tmp_path: Path) -> None:
    # Runs as root too (CI does): there the folder is made immutable (chattr +i).
    from tests.service.test_db_messages import read_only

    folder = tmp_path / "ro"
    folder.mkdir()
    with read_only(folder), pytest.raises(DatabaseError, match="not writable"):
        await open_store(Settings(db=folder / "claworc.db"))


async def test_settings_update_validates_before_writing(store: Store) -> None:
    updated = await store.settings.update({"default_cpu_limit": "4", "node_host": "10.1.2.3"})
    assert updated.default_resources.cpu_limit == "4"
    with pytest.raises(ValidationFailed, match="not a Kubernetes quantity"):
        await store.settings.update({"default_memory_limit": "lots", "node_host": "other"})
    with pytest.raises(ValidationFailed, match="more than cpu_limit"):
        await store.settings.update({"default_cpu_request": "8"})
    with pytest.raises(ValidationFailed, match="unknown setting"):
        await store.settings.update({"fernet_key": "x"})
    current = await store.settings.get()
    assert current.node_host == "10.1.2.3"
    assert current.default_resources.cpu_request == "500m"
    cleared = await store.settings.update({"node_host": None})
    assert cleared.node_host is None


async def test_activity_log_appends_and_reads_back(store: Store) -> None:
    from claworc_tui.models.activity import ApiCall, Outcome

    await store.activity.append(
        "create",
        Outcome.OK,
        instance="bot-a",
        calls=[ApiCall(verb="create", resource="deployments", name="bot-a", status=201)],
    )
    await store.activity.append("stop", Outcome.FAILED, instance="bot-b", detail="boom")
    entries = await store.activity.recent()
    assert [e.action for e in entries] == ["stop", "create"]
    assert entries[1].calls[0].status == 201
    assert [e.action for e in await store.activity.recent(instance="bot-a")] == ["create"]
    assert await store.activity.prune() == 0


async def test_activity_retention_keeps_90_days_or_10000_rows(store: Store) -> None:
    from claworc_tui.db.activity import KEEP_ROWS

    async with store.db.transaction() as conn:
        # 10 050 rows older than 90 days, then 5 recent ones.
        await conn.executemany(
            "INSERT INTO activity (at, action, outcome) "
            "VALUES ('2020-01-01 00:00:00.000', ?, 'ok')",
            [(f"old {i}",) for i in range(KEEP_ROWS + 50)],
        )
        await conn.executemany(
            "INSERT INTO activity (at, action, outcome) "
            "VALUES (strftime('%Y-%m-%d %H:%M:%f', 'now'), ?, 'ok')",
            [(f"new {i}",) for i in range(5)],
        )
    removed = await store.activity.prune()
    assert removed == 55, "old rows beyond the newest 10 000 go"
    assert await store.activity.count() == KEEP_ROWS
    newest = await store.activity.recent(limit=5)
    assert [e.action for e in newest] == [f"new {i}" for i in range(4, -1, -1)]
