"""Opening the SQLite file: checks first, so a file we cannot use is never written to.

The order matters: a corrupt or foreign file is detected with read-only probes *before* any
PRAGMA that writes (``journal_mode=WAL`` rewrites the header), so such a file is left
byte-for-byte as it was.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
from pathlib import Path

import aiosqlite

from claworc_tui.models.errors import DatabaseError
from claworc_tui.paths import private_dir

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000


def _check_header(path: Path) -> None:
    """Refuse a file that is neither empty nor SQLite (it is left untouched).

    Raises:
        DatabaseError: Unreadable, or not a SQLite database.
    """
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseError(f"cannot read the database {path}: {exc.strerror}") from None
    if header and header != SQLITE_HEADER:
        raise DatabaseError(
            f"{path} is not a SQLite database; it was left untouched "
            "(move it away or point --db at another file)"
        )


def _prepare_path(path: Path) -> None:
    """Create the folder (0700) and an empty file (0600) if missing; check what is there."""
    folder = path.parent
    if not folder.exists():
        try:
            # Every folder we create is 0700 whatever the umask; one another first start
            # (a second app, a CLI call) creates meanwhile is fine.
            private_dir(folder)
        except OSError as exc:
            raise DatabaseError(f"cannot create the folder {folder}: {exc.strerror}") from None
    if path.is_dir():
        raise DatabaseError(f"{path} is a folder, not a database file")
    if path.exists():
        _check_header(path)
        return
    if not os.access(folder, os.W_OK):
        raise DatabaseError(f"cannot create the database {path}: the folder is not writable")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise DatabaseError(f"cannot create the database {path}: {exc.strerror}") from None
    os.close(fd)


async def open_database(path: Path, *, read_only: bool = False) -> aiosqlite.Connection:
    """Open ``path`` with WAL, foreign keys and a busy timeout; raise a clear error if unusable.

    The connection runs in autocommit mode (``isolation_level=None``): every transaction is an
    explicit ``BEGIN``/``BEGIN IMMEDIATE``, so we decide where a write lock is taken.

    ``read_only`` opens the file without writing anything anywhere (see :func:`open_read_only`):
    nothing is created, converted or chmod-ed, and a writer in another process does not block
    us. A file that does not exist yet gives an empty in-memory database instead.

    Raises:
        DatabaseError: Naming ``path``, if it is corrupt, not SQLite, or not writable.
    """
    if read_only:
        return (await open_read_only(path))[0]
    _prepare_path(path)
    # Two first starts at once (a second app, a CLI call) can both hold a shared lock and want
    # the exclusive one that switching to WAL takes: SQLite answers one of them "database is
    # locked" at once, without the busy timeout, to break the deadlock. That is not damage:
    # wait a moment and open again; by then the other has switched the file to WAL.
    deadline = asyncio.get_running_loop().time() + BUSY_TIMEOUT_MS / 1000
    pause = 0.02
    while True:
        try:
            return await _open(path)
        except _Locked as exc:
            if asyncio.get_running_loop().time() + pause > deadline:
                raise DatabaseError(
                    f"the database {path} is locked by another process ({exc}); "
                    "try again, or close the other claworc-tui"
                ) from None
            await asyncio.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 0.5)


def _read_only_uri(path: Path) -> tuple[str | None, bool]:
    """The ``mode=ro`` URI of ``path`` (None: no file yet), and whether its folder is writable."""
    if path.is_dir():
        raise DatabaseError(f"{path} is a folder, not a database file")
    if not path.exists():
        return None, False
    _check_header(path)
    return f"{path.resolve().as_uri()}?mode=ro", os.access(path.parent, os.W_OK)


#: What a read-only snapshot was taken of: the file's identity, size and times, and whether a
#: WAL was beside it. A change means another process wrote: the snapshot is taken again.
Stamp = tuple[int, int, int, int, bool]
_STABLE_READS = 5


def file_stamp(path: Path) -> Stamp | None:
    """The :data:`Stamp` of ``path`` now (None: no file)."""
    try:
        info = path.stat()
    except OSError:
        return None
    wal = Path(f"{path}-wal").exists()
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns, wal)


async def open_read_only(path: Path) -> tuple[aiosqlite.Connection, Stamp | None]:
    """Open ``path`` for reading without writing anything anywhere.

    A reader of a WAL database through ``mode=ro`` makes SQLite create ``-wal`` and ``-shm``
    beside it (the index a WAL reader needs) and, being read-only, never removes them: every
    ``ls`` left two empty files behind. So:

    * the side files are there (another connection has the database open, or one left them):
      read through them with ``mode=ro``; nothing new is created;
    * no WAL beside the file (nobody has it open: the last connection to close a WAL database
      checkpoints and removes its side files): everything is in the file itself. It is read
      into memory (``sqlite3_deserialize``) and checked unchanged across the read, so the copy
      is a consistent snapshot; nothing is created, locked or changed on disk.

    Returns:
        The connection, and the :data:`Stamp` of the file when it is a snapshot (None when it
        reads the file live, or when there is no file: an empty in-memory database).
    """
    uri, folder_writable = _read_only_uri(path)
    if uri is None:
        conn = await aiosqlite.connect(":memory:", isolation_level=None)
        conn.row_factory = aiosqlite.Row
        return conn, None
    taken = await asyncio.to_thread(_stable_copy, path)
    if taken is not None:
        data, stamp = taken
        return await _probe(await _snapshot_connection(data, path), path), stamp
    # Side files are there, it kept changing, or a WAL appeared: read it live through them.
    return await _open_live_read_only(path, uri, folder_writable), None


def _stable_copy(path: Path) -> tuple[bytes, Stamp] | None:
    """The bytes of ``path`` read while nothing changed it (None: a side file is there, or it
    kept changing)."""
    if Path(f"{path}-wal").exists() or Path(f"{path}-shm").exists():
        return None
    for _ in range(_STABLE_READS):
        before = file_stamp(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DatabaseError(f"cannot read the database {path}: {exc.strerror}") from None
        after = file_stamp(path)
        if before is not None and before == after and not after[4]:
            return data, after
    return None


async def _snapshot_connection(data: bytes, path: Path) -> aiosqlite.Connection:
    """An in-memory database holding ``data`` (a copy: nothing reaches the file)."""
    if len(data) >= 20 and data[18:20] == b"\x02\x02":
        # WAL mode (file format 2): the in-memory copy has no WAL to use, so it reads the copy
        # as a rollback-journal database (1, 1). Only the copy's header changes.
        data = data[:18] + b"\x01\x01" + data[20:]

    def connector() -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        try:
            conn.deserialize(data)
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    try:
        return await aiosqlite.Connection(connector, iter_chunk_size=64)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(_describe(path, str(exc))) from None


async def _open_live_read_only(path: Path, uri: str, folder_writable: bool) -> aiosqlite.Connection:
    try:
        return await _probe(await aiosqlite.connect(uri, uri=True, isolation_level=None), path)
    except DatabaseError:
        # A WAL database in a folder we may not write to: SQLite cannot create the -shm file.
        # Nobody can be writing there either, so reading it as immutable is safe.
        if folder_writable:
            raise
    conn = await aiosqlite.connect(f"{uri}&immutable=1", uri=True, isolation_level=None)
    return await _probe(conn, path)


async def _probe(conn: aiosqlite.Connection, path: Path) -> aiosqlite.Connection:
    """Read-only checks of a read-only connection (closed on failure)."""
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        async with conn.execute("PRAGMA schema_version") as cursor:
            await cursor.fetchone()
        await conn.execute("PRAGMA query_only = ON")
    except sqlite3.DatabaseError as exc:
        await conn.close()
        raise DatabaseError(_describe(path, str(exc))) from None
    except BaseException:
        await conn.close()
        raise
    return conn


def _disk_full(folder: Path) -> bool:
    """True when the filesystem of ``folder`` has (almost) no space left for us.

    SQLite reports ENOSPC as "disk I/O error" when it hits it growing the WAL index, so the
    disk is asked directly.
    """
    try:
        stats = os.statvfs(folder)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < 64 * 1024


def describe_sqlite_error(path: Path, message: str) -> str:
    """What an SQLite error means for the user: read-only, full, or damaged — never guessed.

    "Damaged" makes people delete a healthy database, so it is said only when SQLite says so.
    """
    lowered = message.lower()
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        folder = path.parent
        if path.exists() and not os.access(path, os.W_OK):
            where = f"the file {path} is read-only"
        elif not os.access(folder, os.W_OK):
            where = (
                f"the folder {folder} is read-only (SQLite needs to create {path.name}-wal and "
                f"{path.name}-shm beside the database)"
            )
        else:
            where = f"{path} cannot be written"
        return (
            f"the database {path} is read-only: {where} ({message}). Commands that only read "
            "(ls, url, logs, settings get, repair --dry-run, --read-only) work; to change "
            "anything, make the file and its folder writable. The database was not changed."
        )
    if "full" in lowered or ("disk i/o error" in lowered and _disk_full(path.parent)):
        return (
            f"the disk holding the database {path} is full ({message}); free some space and "
            "try again. The database itself is fine; nothing was changed."
        )
    if "disk i/o error" in lowered:
        return (
            f"the database {path} could not be written ({message}): the disk reported an "
            "error (a full disk or quota does this too)"
        )
    return (
        f"the database {path} is damaged or not a SQLite database ({message}); "
        "it was left untouched"
    )


def _describe(path: Path, message: str) -> str:
    return describe_sqlite_error(path, message)


class _Locked(Exception):
    """SQLite said busy/locked while opening (see ``open_database``)."""


async def _open(path: Path) -> aiosqlite.Connection:
    try:
        conn = await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open the database {path}: {exc}") from None
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Read-only probes first: these fail on a damaged file without writing to it.
        async with conn.execute("PRAGMA schema_version") as cursor:
            await cursor.fetchone()
        async with conn.execute("PRAGMA quick_check(1)") as cursor:
            check = await cursor.fetchone()
        if check is None or check[0] != "ok":
            raise DatabaseError(
                f"the database {path} is damaged ({check[0] if check else 'no answer'}); "
                "it was left untouched"
            )
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        await conn.close()
        message = str(exc)
        if "locked" in message or "busy" in message:
            raise _Locked(message) from None
        raise DatabaseError(describe_sqlite_error(path, message)) from None
    except BaseException:
        await conn.close()
        raise
    try:
        _restrict_permissions(path)
    except BaseException:
        await conn.close()
        raise
    return conn


def _restrict_permissions(path: Path) -> None:
    """Keep the database and its WAL side files owner-only, whoever created them.

    Raises:
        DatabaseError: A file others can read cannot be restricted (the keys in it are sealed,
            but names, settings and the activity log are not).
    """
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if candidate != path and candidate.is_symlink():
            continue  # SQLite's side files are never links we made; never chmod a link's target
        try:
            mode = candidate.stat().st_mode & 0o777
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise DatabaseError(f"cannot check the permissions of {candidate}: {exc}") from None
        if not mode & 0o077:
            continue
        try:
            candidate.chmod(0o600)
        except OSError as exc:
            raise DatabaseError(
                f"{candidate} is readable by others (mode {mode:04o}) and cannot be made "
                f"owner-only: {exc.strerror or exc}; fix its owner or mode"
            ) from None
