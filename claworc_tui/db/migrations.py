"""Numbered schema migrations, tracked in ``PRAGMA user_version``.

Migration 1 is the primary spec's schema with ``IF NOT EXISTS``, so a database that the original
Claworc wrote (tables present, ``user_version`` 0) passes through it unchanged and then receives
the later migrations like any other. Each migration runs in its own ``BEGIN IMMEDIATE``
transaction together with the ``user_version`` bump, so a crash leaves the previous version intact.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import aiosqlite

from claworc_tui.models.errors import DatabaseError
from claworc_tui.models.text import one_line

SPEC_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE NOT NULL,
    display_name TEXT NOT NULL,
    nodeport_chrome INTEGER UNIQUE NOT NULL,
    nodeport_terminal INTEGER UNIQUE NOT NULL,
    status TEXT NOT NULL DEFAULT 'creating',
    cpu_request TEXT DEFAULT '500m',
    cpu_limit TEXT DEFAULT '2000m',
    memory_request TEXT DEFAULT '1Gi',
    memory_limit TEXT DEFAULT '4Gi',
    storage_clawdbot TEXT DEFAULT '5Gi',
    storage_homebrew TEXT DEFAULT '10Gi',
    storage_clawd TEXT DEFAULT '5Gi',
    anthropic_api_key TEXT,
    openai_api_key TEXT,
    brave_api_key TEXT,
    clawdbot_config TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
"""

Migration = Callable[[aiosqlite.Connection], Awaitable[None]]


async def _columns(conn: aiosqlite.Connection, table: str) -> set[str]:
    async with conn.execute(f"PRAGMA table_info({table})") as cursor:
        rows = await cursor.fetchall()
    return {row[1] for row in rows}


async def _m1_spec_schema(conn: aiosqlite.Connection) -> None:
    for statement in SPEC_SCHEMA.split(";"):
        if statement.strip():
            await conn.execute(statement)


async def _m2_chrome_storage_and_ops(conn: aiosqlite.Connection) -> None:
    """Fourth PVC (seeds README), and columns that let a restarted app finish or flag an op."""
    have = await _columns(conn, "instances")
    wanted = {
        "storage_chrome": "TEXT DEFAULT '5Gi'",
        "status_detail": "TEXT",
        "op_step": "TEXT",
        "op_owner": "TEXT",
    }
    for column, decl in wanted.items():
        if column not in have:
            await conn.execute(f"ALTER TABLE instances ADD COLUMN {column} {decl}")
    await conn.execute("UPDATE instances SET storage_chrome = '5Gi' WHERE storage_chrome IS NULL")


async def _m3_activity(conn: aiosqlite.Connection) -> None:
    await conn.execute(
        """
        CREATE TABLE IF NOT EXISTS activity (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            instance TEXT,
            action TEXT NOT NULL,
            outcome TEXT NOT NULL,
            detail TEXT,
            calls TEXT NOT NULL DEFAULT '[]'
        )
        """
    )
    await conn.execute("CREATE INDEX IF NOT EXISTS activity_at ON activity(at)")
    await conn.execute("CREATE INDEX IF NOT EXISTS activity_instance ON activity(instance)")


async def _m4_updated_at_trigger(conn: aiosqlite.Connection) -> None:
    """``updated_at`` moves on every update, whoever writes the row (millisecond precision)."""
    await conn.execute(
        """
        CREATE TRIGGER IF NOT EXISTS instances_touch AFTER UPDATE ON instances
        FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
        BEGIN
            UPDATE instances SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
            WHERE id = NEW.id;
        END
        """
    )


async def _m5_exposure(conn: aiosqlite.Connection) -> None:
    """How each instance is reached: ``nodeport`` (as before) or ``private``."""
    if "exposure" not in await _columns(conn, "instances"):
        await conn.execute(
            "ALTER TABLE instances ADD COLUMN exposure TEXT NOT NULL DEFAULT 'nodeport'"
        )


async def _m6_instance_image(conn: aiosqlite.Connection) -> None:
    """An instance's own image (``redeploy --image``); NULL runs the settings' image."""
    if "image" not in await _columns(conn, "instances"):
        await conn.execute("ALTER TABLE instances ADD COLUMN image TEXT")


_PORT_NOT_NULL = re.compile(
    r"(\bnodeport_(?:chrome|terminal)\s+INTEGER\s+UNIQUE)\s+NOT\s+NULL", re.IGNORECASE
)
_CREATE_INSTANCES = re.compile(
    r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\"`\[]?instances[\"`\]]?",
    re.IGNORECASE,
)


async def _m7_private_holds_no_ports(conn: aiosqlite.Connection) -> None:
    """A private instance holds no NodePort pair: the port columns may be NULL.

    SQLite cannot drop a NOT NULL, so the table is rebuilt the way the SQLite docs prescribe
    ("Making Other Kinds Of Table Schema Changes"): a new table made from the old one's own
    ``CREATE`` text with only the two ``NOT NULL`` removed (so every column, default and the
    UNIQUE constraints stay: two non-NULL pairs still cannot collide, while NULLs never clash),
    the rows copied with their ids, the old table dropped, the new one renamed, the AUTOINCREMENT
    counter carried over (ids are never reused), and the old indexes and triggers re-created. It
    all runs inside the migration's transaction: any failure leaves the old table as it was.

    Private rows release their pair; ``prior_nodeport`` remembers its chrome port, so that going
    back to NodePorts gets the same URLs when that pair is still free.
    """
    # Idempotent: a database that already has either part (made by a build that ran this
    # migration without bumping user_version, or fixed by hand) gets only what it lacks.
    if "prior_nodeport" not in await _columns(conn, "instances"):
        await conn.execute("ALTER TABLE instances ADD COLUMN prior_nodeport INTEGER")
    if await _ports_not_null(conn):
        await _rebuild_ports_nullable(conn)
    await conn.execute(
        "UPDATE instances SET prior_nodeport = nodeport_chrome, nodeport_chrome = NULL, "
        "nodeport_terminal = NULL WHERE exposure = 'private' AND nodeport_chrome IS NOT NULL"
    )


async def _ports_not_null(conn: aiosqlite.Connection) -> bool:
    """Whether a port column still refuses NULL (both must go; one alone is not our schema)."""
    async with conn.execute("PRAGMA table_info(instances)") as cursor:
        flags = {row[1]: bool(row[3]) for row in await cursor.fetchall()}
    ports = (flags.get("nodeport_chrome"), flags.get("nodeport_terminal"))
    if None in ports:
        raise DatabaseError(
            "cannot migrate the database to schema 7: its instances table has no "
            "nodeport_chrome/nodeport_terminal columns; it was left unchanged"
        )
    return any(ports)


async def _rebuild_ports_nullable(conn: aiosqlite.Connection) -> None:
    async with conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'instances'"
    ) as cursor:
        entries = [tuple(row) for row in await cursor.fetchall()]
    table_sql = next(str(sql) for kind, _name, sql in entries if kind == "table")
    new_sql, count = _PORT_NOT_NULL.subn(r"\1", table_sql)
    new_sql, named = _CREATE_INSTANCES.subn("CREATE TABLE instances_new", new_sql)
    if count != 2 or named != 1:
        raise DatabaseError(
            "cannot migrate the database to schema 7 (private instances hold no ports): its "
            "instances table does not declare nodeport_chrome and nodeport_terminal as "
            "'INTEGER UNIQUE NOT NULL'; it was left unchanged. Its definition: "
            + one_line(table_sql)[:400]
        )
    columns = ", ".join(f'"{c}"' for c in sorted(await _columns(conn, "instances")))
    await conn.execute(new_sql)
    await conn.execute(f"INSERT INTO instances_new ({columns}) SELECT {columns} FROM instances")
    async with conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'instances'") as cursor:
        seq_row = await cursor.fetchone()
    await conn.execute("DROP TABLE instances")
    await conn.execute("ALTER TABLE instances_new RENAME TO instances")
    if seq_row is not None:
        await conn.execute("DELETE FROM sqlite_sequence WHERE name = 'instances'")
        await conn.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES ('instances', ?)", (seq_row[0],)
        )
    # Before the triggers come back, so that the release does not move ``updated_at``.
    await conn.execute(
        "UPDATE instances SET prior_nodeport = nodeport_chrome, nodeport_chrome = NULL, "
        "nodeport_terminal = NULL WHERE exposure = 'private'"
    )
    for kind, _name, sql in entries:  # the UNIQUE autoindexes have no sql: the table made them
        if kind in ("index", "trigger") and sql:
            await conn.execute(str(sql))
    async with conn.execute("PRAGMA foreign_key_check") as cursor:
        if await cursor.fetchone() is not None:
            raise DatabaseError(
                "cannot migrate the database to schema 7: the rebuilt instances table breaks a "
                "foreign key; it was left unchanged"
            )


MIGRATIONS: tuple[Migration, ...] = (
    _m1_spec_schema,
    _m2_chrome_storage_and_ops,
    _m3_activity,
    _m4_updated_at_trigger,
    _m5_exposure,
    _m6_instance_image,
    _m7_private_holds_no_ports,
)
LATEST = len(MIGRATIONS)


async def schema_version(conn: aiosqlite.Connection) -> int:
    """The ``user_version`` of the open database."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection) -> int:
    """Apply every migration the database has not had yet; return the new version.

    Raises:
        RuntimeError: If the database is newer than this app knows (the caller checks first:
            see ``Database.start``).
    """
    version = await schema_version(conn)
    if version > LATEST:
        raise RuntimeError(
            f"the database has schema version {version}, newer than this app's {LATEST}; "
            "upgrade claworc-tui"
        )
    for number in range(version + 1, LATEST + 1):
        await conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            if await schema_version(conn) >= number:
                await conn.execute("COMMIT")
                continue
            await MIGRATIONS[number - 1](conn)
            await conn.execute(f"PRAGMA user_version = {number}")
            await conn.execute("COMMIT")
        except BaseException:
            # SQLite may have ended the transaction itself (a full disk does): a ROLLBACK then
            # fails and would hide the error that matters.
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
    return await schema_version(conn)
