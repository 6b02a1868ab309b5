"""InstanceRepository: the ``instances`` table, with keys sealed on the way in.

Port pairs are chosen and the row inserted inside one ``BEGIN IMMEDIATE`` transaction: the write
lock is taken before the used ports are read, so two processes allocating at once serialise on it
and never pick the same pair; the UNIQUE constraints are the last line of defence.

A private instance holds no pair (both columns NULL; NULLs never clash under UNIQUE). Making it
private releases its pair and remembers the chrome port in ``prior_nodeport``; making it NodePort
again takes that pair back when it is still free, else the lowest free pair.
"""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import aiosqlite
from pydantic import SecretStr

from claworc_tui.crypto.sealing import Sealer
from claworc_tui.db.changes import ChangeFeed
from claworc_tui.db.database import Database
from claworc_tui.models.errors import (
    InstanceNotFound,
    NameTaken,
    PortRangeExhausted,
    PortsTaken,
    ValidationFailed,
)
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import (
    Instance,
    InstanceSpec,
    InstanceStatus,
    Provider,
    Resources,
    Storage,
)
from claworc_tui.models.records import InstanceRecord

_COLUMNS = (
    "id, name, display_name, nodeport_chrome, nodeport_terminal, status, cpu_request, cpu_limit, "
    "memory_request, memory_limit, storage_clawdbot, storage_homebrew, storage_clawd, "
    "storage_chrome, anthropic_api_key, openai_api_key, brave_api_key, clawdbot_config, "
    "created_at, updated_at, status_detail, op_step, op_owner, exposure, image"
)


def parse_timestamp(value: object) -> datetime:
    """Read a timestamp as SQLite's CURRENT_TIMESTAMP or our millisecond form writes it (UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value or "1970-01-01 00:00:00").replace("T", " ").rstrip("Z")
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return datetime.fromtimestamp(0, UTC)


def _status(value: object) -> InstanceStatus:
    try:
        return InstanceStatus(str(value))
    except ValueError:
        return InstanceStatus.ERROR


def _exposure(row: sqlite3.Row) -> Exposure:
    try:
        return Exposure(str(row["exposure"]))
    except (ValueError, IndexError):
        return Exposure.NODEPORT


def _image(row: sqlite3.Row) -> str | None:
    try:
        return row["image"] or None
    except IndexError:
        return None


def _row_to_instance(row: sqlite3.Row) -> Instance:
    return Instance(
        id=row["id"],
        name=row["name"],
        display_name=row["display_name"],
        nodeport_chrome=row["nodeport_chrome"],
        nodeport_terminal=row["nodeport_terminal"],
        status=_status(row["status"]),
        resources=Resources.model_construct(
            cpu_request=row["cpu_request"] or "500m",
            cpu_limit=row["cpu_limit"] or "2000m",
            memory_request=row["memory_request"] or "1Gi",
            memory_limit=row["memory_limit"] or "4Gi",
        ),
        storage=Storage.model_construct(
            clawdbot=row["storage_clawdbot"] or "5Gi",
            homebrew=row["storage_homebrew"] or "10Gi",
            clawd=row["storage_clawd"] or "5Gi",
            chrome=row["storage_chrome"] or "5Gi",
        ),
        clawdbot_config=row["clawdbot_config"],
        overrides=frozenset(p for p in Provider if row[p.value]),
        status_detail=row["status_detail"],
        op_step=row["op_step"],
        op_owner=row["op_owner"],
        exposure=_exposure(row),
        image=_image(row),
        created_at=parse_timestamp(row["created_at"]),
        updated_at=parse_timestamp(row["updated_at"]),
    )


def _record_row(record: InstanceRecord, sealed: dict[Provider, str]) -> dict[str, object]:
    """The columns of an imported row (keys already sealed)."""
    return {
        **record.model_dump(
            include={"name", "display_name", "nodeport_chrome", "nodeport_terminal", "status"}
        ),
        **{k: v for k, v in record.resources.model_dump().items()},
        **{f"storage_{k}": v for k, v in record.storage.model_dump().items()},
        **{p.value: sealed.get(p) for p in Provider},
        "clawdbot_config": record.clawdbot_config,
        "exposure": record.exposure.value,
        "image": record.image,
    }


_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
_USED = "SELECT nodeport_chrome, nodeport_terminal FROM instances WHERE nodeport_chrome IS NOT NULL"


async def _free_pair(
    conn: aiosqlite.Connection,
    port_range: tuple[int, int],
    skip_ports: Iterable[int],
    *,
    other_than: str | None = None,
    prefer: int | None = None,
) -> int:
    """The chrome port of a free pair: ``prefer``'s pair if free and in range, else the lowest.

    Raises:
        PortRangeExhausted: No pair is free.
    """
    query, params = (_USED, ()) if other_than is None else (f"{_USED} AND name != ?", (other_than,))
    cursor = await conn.execute(query, params)
    used = {p for row in await cursor.fetchall() for p in row} | set(skip_ports)
    start, end = port_range
    if (
        prefer is not None
        and start <= prefer < end
        and prefer % 2 == 0
        and not {prefer, prefer + 1} & used
    ):
        return prefer
    chrome = lowest_free_pair(start, end, used)
    if chrome is None:
        raise PortRangeExhausted(start, end, (end - start + 1) // 2)
    return chrome


def lowest_free_pair(start: int, end: int, used: set[int]) -> int | None:
    """The lowest even port in [start, end] whose pair (port, port+1) is entirely free."""
    return next(
        (p for p in range(start + start % 2, end, 2) if p not in used and p + 1 not in used),
        None,
    )


async def sealed_instance_keys(db: Database) -> list[str]:
    """Every sealed key in the table, still sealed (to check a Fernet key against)."""
    rows = await db.fetchall(
        "SELECT anthropic_api_key, openai_api_key, brave_api_key FROM instances"
    )
    return [value for row in rows for value in row if value]


class InstanceRepository:
    """Reads and writes instance rows; returns :class:`Instance` models, never rows.

    Every committed write is published on :attr:`changes`, with the writes of other processes.
    """

    def __init__(self, db: Database, sealer: Sealer) -> None:
        self._db = db
        self._sealer = sealer
        self.changes = ChangeFeed(db)

    async def list(self) -> builtins.list[Instance]:
        """Every instance, by name."""
        rows = await self._db.fetchall(f"SELECT {_COLUMNS} FROM instances ORDER BY name")
        return [_row_to_instance(row) for row in rows]

    async def get(self, name: str) -> Instance:
        """The instance called ``name``.

        Raises:
            InstanceNotFound: If there is none.
        """
        row = await self._db.fetchone(f"SELECT {_COLUMNS} FROM instances WHERE name = ?", (name,))
        if row is None:
            raise InstanceNotFound(name)
        return _row_to_instance(row)

    async def find(self, name: str) -> Instance | None:
        """The instance called ``name``, or None."""
        row = await self._db.fetchone(f"SELECT {_COLUMNS} FROM instances WHERE name = ?", (name,))
        return None if row is None else _row_to_instance(row)

    async def used_ports(self) -> set[int]:
        """Every NodePort held by a row (both of each pair; private rows hold none)."""
        rows = await self._db.fetchall(_USED)
        return {port for row in rows for port in row if port is not None}

    async def insert(
        self,
        name: str,
        spec: InstanceSpec,
        *,
        port_range: tuple[int, int],
        skip_ports: Iterable[int] = (),
        owner: str | None = None,
        exposure: Exposure = Exposure.NODEPORT,
    ) -> Instance:
        """Allocate the lowest free port pair and insert the row (status ``creating``) at once.

        A private instance takes no pair.

        Args:
            name: The derived instance name.
            spec: What was asked for; override keys are sealed before they are written.
            port_range: First and last NodePort (inclusive) to draw the pair from.
            skip_ports: Ports held outside our table (another Service in the cluster).
            owner: Who is creating it (``host:pid``), so a later start-up can tell it died.
            exposure: NodePorts (a pair is allocated) or private (none is).

        Raises:
            NameTaken: If the name exists.
            PortRangeExhausted: If no pair is free (NodePort instances only).
        """
        sealed = {p.value: self._sealer.seal(k) for p, k in spec.api_keys.items()}
        async with self._db.transaction() as conn:
            cursor = await conn.execute("SELECT 1 FROM instances WHERE name = ?", (name,))
            if await cursor.fetchone():
                raise NameTaken(name)
            chrome: int | None = None
            if exposure is not Exposure.PRIVATE:
                chrome = await _free_pair(conn, port_range, skip_ports)
            r, s = spec.resources, spec.storage
            await conn.execute(
                f"""INSERT INTO instances (name, display_name, nodeport_chrome, nodeport_terminal,
                    status, cpu_request, cpu_limit, memory_request, memory_limit,
                    storage_clawdbot, storage_homebrew, storage_clawd, storage_chrome,
                    anthropic_api_key, openai_api_key, brave_api_key, clawdbot_config,
                    created_at, updated_at, op_step, op_owner, image, exposure)
                    VALUES (?, ?, ?, ?, 'creating', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                    {_NOW}, {_NOW}, 'record', ?, ?, ?)""",
                (
                    name,
                    spec.display_name,
                    chrome,
                    None if chrome is None else chrome + 1,
                    r.cpu_request,
                    r.cpu_limit,
                    r.memory_request,
                    r.memory_limit,
                    s.clawdbot,
                    s.homebrew,
                    s.clawd,
                    s.chrome,
                    sealed.get(Provider.ANTHROPIC.value),
                    sealed.get(Provider.OPENAI.value),
                    sealed.get(Provider.BRAVE.value),
                    spec.clawdbot_config,
                    owner,
                    spec.image,
                    exposure.value,
                ),
            )
        await self.changes.publish([name])
        return await self.get(name)

    async def insert_adopted(
        self,
        instance: Instance,
        keys: dict[Provider, SecretStr],
        *,
        port_range: tuple[int, int] | None = None,
        skip_ports: Iterable[int] = (),
    ) -> Instance:
        """Insert the record of an instance rebuilt from the cluster (``adopt``), as given.

        Args:
            instance: The record (``id`` and timestamps are ignored). Its port pair is kept
                unless ``port_range`` is given: then the lowest free pair is chosen instead.
            keys: Per-instance keys to seal into the row.
            port_range: Choose the pair (a private instance whose pair is unknown or taken).
            skip_ports: Ports held outside our table, with ``port_range``.

        Raises:
            NameTaken: The name has a row already.
            PortsTaken: Another row holds a port of the pair.
            PortRangeExhausted: With ``port_range``, when no pair is free.
        """
        i, r, s = instance, instance.resources, instance.storage
        sealed = {p.value: self._sealer.seal(k) for p, k in keys.items()}
        async with self._db.transaction() as conn:
            cursor = await conn.execute("SELECT 1 FROM instances WHERE name = ?", (i.name,))
            if await cursor.fetchone():
                raise NameTaken(i.name)
            cursor = await conn.execute(
                "SELECT name, nodeport_chrome, nodeport_terminal FROM instances"
            )
            holders = {
                p: row[0] for row in await cursor.fetchall() for p in row[1:] if p is not None
            }
            chrome, terminal = i.nodeport_chrome, i.nodeport_terminal
            if port_range is not None:
                found = lowest_free_pair(*port_range, set(holders) | set(skip_ports))
                if found is None:
                    start, end = port_range
                    raise PortRangeExhausted(start, end, (end - start + 1) // 2)
                chrome, terminal = found, found + 1
            if chrome is not None and terminal is not None:
                clash = holders.get(chrome) or holders.get(terminal)
                if clash is not None:
                    raise PortsTaken(chrome, terminal, clash)
            await conn.execute(
                f"""INSERT INTO instances (name, display_name, nodeport_chrome, nodeport_terminal,
                    status, cpu_request, cpu_limit, memory_request, memory_limit,
                    storage_clawdbot, storage_homebrew, storage_clawd, storage_chrome,
                    anthropic_api_key, openai_api_key, brave_api_key, clawdbot_config,
                    exposure, image, created_at, updated_at)
                    VALUES ({", ".join("?" * 19)}, {_NOW}, {_NOW})""",
                (
                    i.name,
                    i.display_name,
                    chrome,
                    terminal,
                    i.status.value,
                    r.cpu_request,
                    r.cpu_limit,
                    r.memory_request,
                    r.memory_limit,
                    s.clawdbot,
                    s.homebrew,
                    s.clawd,
                    s.chrome,
                    sealed.get(Provider.ANTHROPIC.value),
                    sealed.get(Provider.OPENAI.value),
                    sealed.get(Provider.BRAVE.value),
                    i.clawdbot_config,
                    i.exposure.value,
                    i.image,
                ),
            )
        await self.changes.publish([i.name])
        return await self.get(i.name)

    async def insert_records(
        self, records: Sequence[tuple[InstanceRecord, dict[Provider, SecretStr]]]
    ) -> None:
        """Insert imported rows, all or none, in one transaction (keys sealed on the way in).

        Names and ports are checked again under the write lock, so a row another process
        inserted since the caller checked fails the whole import instead of half of it.

        Raises:
            NameTaken: A name exists.
            ValidationFailed: A port is held by another row.
        """
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT name, nodeport_chrome, nodeport_terminal FROM instances"
            )
            rows = await cursor.fetchall()
            names = {row[0] for row in rows}
            used = {port: row[0] for row in rows for port in (row[1], row[2]) if port is not None}
            for record, keys in records:
                if record.name in names:
                    raise NameTaken(record.name)
                for port in record.ports:
                    if port in used:
                        raise ValidationFailed(
                            "nodeport", f"port {port} of {record.name} is held by {used[port]}"
                        )
                row = _record_row(record, {p: self._sealer.seal(k) for p, k in keys.items()})
                await conn.execute(
                    f"INSERT INTO instances ({', '.join(row)}, created_at, updated_at) "
                    f"VALUES ({', '.join('?' * len(row))}, {_NOW}, {_NOW})",
                    tuple(row.values()),
                )
                names.add(record.name)
                used |= {port: record.name for port in record.ports}
        await self.changes.publish([record.name for record, _ in records])

    async def move_ports(
        self, name: str, *, port_range: tuple[int, int], skip_ports: Iterable[int] = ()
    ) -> Instance:
        """Give the instance the lowest free pair other than ``skip_ports`` (a port conflict).

        Raises:
            PortRangeExhausted: If no other pair is free.
        """
        async with self._db.transaction() as conn:
            chrome = await _free_pair(conn, port_range, skip_ports, other_than=name)
            await conn.execute(
                f"UPDATE instances SET nodeport_chrome = ?, nodeport_terminal = ?, "
                f"updated_at = {_NOW} WHERE name = ?",
                (chrome, chrome + 1, name),
            )
        await self.changes.publish([name])
        return await self.get(name)

    async def _update(self, name: str, assignments: str, params: tuple[object, ...]) -> Instance:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE instances SET {assignments}, updated_at = {_NOW} WHERE name = ?",
                (*params, name),
            )
            if cursor.rowcount == 0:
                raise InstanceNotFound(name)
        await self.changes.publish([name])
        return await self.get(name)

    async def set_status(
        self,
        name: str,
        status: InstanceStatus,
        *,
        detail: str | None = None,
        step: str | None = None,
        owner: str | None = None,
    ) -> Instance:
        """Record a status, why, and (while an operation runs) its step and owner."""
        return await self._update(
            name,
            "status = ?, status_detail = ?, op_step = ?, op_owner = ?",
            (status.value, detail, step, owner),
        )

    async def set_exposure(
        self,
        name: str,
        exposure: Exposure,
        *,
        port_range: tuple[int, int],
        skip_ports: Iterable[int] = (),
    ) -> Instance:
        """Record how the instance is reached, releasing or taking a port pair in the same write.

        Private: the pair is released (its chrome port kept in ``prior_nodeport``). NodePort:
        the prior pair if it is free (and not in ``skip_ports``), else the lowest free pair;
        an instance that already holds a pair keeps it.

        Raises:
            InstanceNotFound: No such instance.
            PortRangeExhausted: NodePort asked for and no pair is free (nothing changed).
        """
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT nodeport_chrome, nodeport_terminal, prior_nodeport FROM instances "
                "WHERE name = ?",
                (name,),
            )
            row = await cursor.fetchone()
            if row is None:
                raise InstanceNotFound(name)
            chrome, terminal, prior = row
            if exposure is Exposure.PRIVATE:
                prior = chrome if chrome is not None else prior
                chrome = terminal = None
            elif chrome is None:
                chrome = await _free_pair(
                    conn, port_range, skip_ports, other_than=name, prefer=prior
                )
                terminal = chrome + 1
            await conn.execute(
                "UPDATE instances SET exposure = ?, nodeport_chrome = ?, nodeport_terminal = ?, "
                f"prior_nodeport = ?, updated_at = {_NOW} WHERE name = ?",
                (exposure.value, chrome, terminal, prior, name),
            )
        await self.changes.publish([name])
        return await self.get(name)

    async def set_step(self, name: str, step: str) -> None:
        """Record the step an operation has reached."""
        await self._update(name, "op_step = ?", (step,))

    async def set_image(self, name: str, image: str | None) -> Instance:
        """Store the instance's own image (already validated; None: the settings' image)."""
        return await self._update(name, "image = ?", (image,))

    async def set_image_if(self, name: str, image: str | None, *, expected: str | None) -> bool:
        """Store ``image`` only while the row still holds ``expected`` (``WHERE image IS ?``).

        Returns:
            False when another writer changed the image meanwhile (the row is left as it is).
        """
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE instances SET image = ?, updated_at = {_NOW} "
                "WHERE name = ? AND image IS ?",
                (image, name, expected),
            )
            changed = cursor.rowcount == 1
        if changed:
            await self.changes.publish([name])
        return changed

    async def set_config(self, name: str, config: str | None) -> Instance:
        """Store a new ``clawdbot.json`` (already validated)."""
        return await self._update(name, "clawdbot_config = ?", (config,))

    async def set_resources(self, name: str, resources: Resources) -> Instance:
        """Store new cpu/memory requests and limits."""
        r = resources
        return await self._update(
            name,
            "cpu_request = ?, cpu_limit = ?, memory_request = ?, memory_limit = ?",
            (r.cpu_request, r.cpu_limit, r.memory_request, r.memory_limit),
        )

    async def set_storage(self, name: str, storage: Storage) -> Instance:
        """Store new PVC sizes."""
        s = storage
        return await self._update(
            name,
            "storage_clawdbot = ?, storage_homebrew = ?, storage_clawd = ?, storage_chrome = ?",
            (s.clawdbot, s.homebrew, s.clawd, s.chrome),
        )

    async def set_override(self, name: str, provider: Provider, key: SecretStr | None) -> Instance:
        """Set (sealed) or clear a per-instance key."""
        sealed = None if key is None else self._sealer.seal(key)
        return await self._update(name, f"{provider.value} = ?", (sealed,))

    async def overrides(self, name: str) -> dict[Provider, SecretStr]:
        """The instance's own keys, unsealed.

        Raises:
            WrongEncryptionKey: If they were sealed with another key.
        """
        row = await self._db.fetchone(
            "SELECT anthropic_api_key, openai_api_key, brave_api_key FROM instances WHERE name = ?",
            (name,),
        )
        if row is None:
            raise InstanceNotFound(name)
        return {p: self._sealer.unseal(row[p.value]) for p in Provider if row[p.value]}

    async def delete(self, name: str) -> None:
        """Remove the row; its port pair is free again."""
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM instances WHERE name = ?", (name,))
        await self.changes.publish([name])
