"""One open database: the connection, a lock that serialises transactions, and start/close."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from claworc_tui.db.connection import (
    Stamp,
    describe_sqlite_error,
    file_stamp,
    open_database,
    open_read_only,
)
from claworc_tui.db.migrations import LATEST, migrate, schema_version
from claworc_tui.models.errors import DatabaseError

_BUSY_RETRIES = 5


class Database:
    """The app's SQLite file. Open with :meth:`start`, close with :meth:`aclose`.

    aiosqlite runs one connection on one thread, so two coroutines interleaving statements of two
    transactions would share one transaction. The lock makes each transaction exclusive within
    the process; ``BEGIN IMMEDIATE`` and the busy timeout do the same across processes.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        """Opened with ``mode=ro``: nothing is written (a missing file reads as empty)."""
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._stamp: Stamp | None = None
        """Set while the connection reads an in-memory snapshot of the file (read-only)."""
        self._generation = 0
        """How many times the snapshot was taken again (another process wrote meanwhile)."""

    async def start(self) -> None:
        """Open the file and bring its schema up to date."""
        in_memory = self.read_only and not self.path.exists()
        if self.read_only:
            self._conn, self._stamp = await open_read_only(self.path)
        else:
            self._conn = await open_database(self.path)
        try:
            if self.read_only and not in_memory:
                await self._check_version(self._conn, can_migrate=False)
            else:
                await self._check_version(self._conn, can_migrate=True)
                await migrate(self._conn)
        except sqlite3.OperationalError as exc:
            await self.aclose()
            raise DatabaseError(
                f"cannot update the schema: {describe_sqlite_error(self.path, str(exc))}"
            ) from None
        except BaseException:
            await self.aclose()
            raise

    async def _check_version(self, conn: aiosqlite.Connection, *, can_migrate: bool) -> None:
        """Say what to do when the schema is newer than ours, or older and we may not migrate."""
        version = await schema_version(conn)
        if version > LATEST:
            raise DatabaseError(
                f"the database {self.path} has schema version {version}, newer than this "
                f"app's {LATEST}: it was written by a newer claworc-tui; upgrade this one"
            )
        if version < LATEST and not can_migrate:
            raise DatabaseError(
                f"the database {self.path} has schema version {version}, older than this "
                f"app's {LATEST}, and this command only reads: run a command that writes "
                "(e.g. `claworc-tui repair`) once to upgrade it"
            )

    async def aclose(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._conn is None:
            raise RuntimeError("the database is not open")
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``), committed on success, rolled back on error."""
        async with self._lock:
            conn = self.conn
            if self.read_only:
                raise DatabaseError(
                    f"the database {self.path} was opened read-only: this command changes nothing"
                )
            # A transaction left open on this connection (see _begin) would make every later
            # write fail with "cannot start a transaction within a transaction": end it first.
            await self._rollback(conn)
            for attempt in range(_BUSY_RETRIES):
                try:
                    await self._begin(conn)
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" in str(exc) and attempt < _BUSY_RETRIES - 1:
                        await asyncio.sleep(0.05 * (attempt + 1))
                        continue
                    if "locked" in str(exc):
                        raise DatabaseError(f"the database {self.path} is busy: {exc}") from None
                    raise DatabaseError(describe_sqlite_error(self.path, str(exc))) from None
            try:
                yield conn
            except sqlite3.OperationalError as exc:
                await self._rollback(conn)
                raise DatabaseError(describe_sqlite_error(self.path, str(exc))) from None
            except BaseException:
                await self._rollback(conn)
                raise
            try:
                await conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                await self._rollback(conn)
                raise DatabaseError(describe_sqlite_error(self.path, str(exc))) from None

    @staticmethod
    async def _begin(conn: aiosqlite.Connection) -> None:
        """``BEGIN IMMEDIATE``, undone if the caller is cancelled while it runs.

        aiosqlite runs the statement on its own thread: a task cancelled while awaiting it
        (the app quitting, a timeout) leaves the statement to finish there, and the connection
        would stay inside a transaction that nobody ends.
        """
        begin = asyncio.ensure_future(conn.execute("BEGIN IMMEDIATE"))
        try:
            await asyncio.shield(begin)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await begin
                await Database._rollback(conn)
            raise

    @staticmethod
    async def _rollback(conn: aiosqlite.Connection) -> None:
        """Roll back if a transaction is still open (SQLite may have ended it already)."""
        if conn.in_transaction:
            await conn.execute("ROLLBACK")

    async def _current(self) -> aiosqlite.Connection:
        """The connection, after taking the snapshot again if another process wrote since.

        Only a read-only database reading a snapshot (see
        :func:`~claworc_tui.db.connection.open_read_only`) has anything to do: a long-lived
        reader (the app under ``--read-only``) still sees what other processes write.
        """
        if self._stamp is not None and file_stamp(self.path) != self._stamp:
            old = self.conn
            self._conn, self._stamp = await open_read_only(self.path)
            self._generation += 1
            await old.close()
        return self.conn

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """Run a read and return every row."""
        async with self._lock, (await self._current()).execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        """Run a read and return the first row, if any."""
        # Closing the cursor ends the implicit read transaction at once; a statement left
        # open would pin a WAL snapshot and hold back checkpoints for other processes.
        async with self._lock, (await self._current()).execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    async def data_version(self) -> tuple[int, int]:
        """A value that moves exactly when another process committed (``PRAGMA data_version``,
        and the snapshot taken again)."""
        row = await self.fetchone("PRAGMA data_version")
        return self._generation, int(row[0]) if row is not None else 0
