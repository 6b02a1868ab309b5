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
from collections.abc import Iterable, Mapping, Sequence

import aiosqlite
from pydantic import SecretStr

from claworc_tui.crypto.sealing import Sealer
from claworc_tui.db.changes import ChangeFeed
from claworc_tui.db.database import Database
from claworc_tui.db.ports import (
    USED,
    free_pair,
    holders,
    lowest_free_pair_or_raise,
    pair_for_exposure,
)
from claworc_tui.db.rows import (
    COLUMNS,
    NOW,
    new_row,
    resource_columns,
    row_to_instance,
    storage_columns,
)
from claworc_tui.models.errors import (
    InstanceNotFound,
    NameTaken,
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


async def _insert(conn: aiosqlite.Connection, row: dict[str, object]) -> None:
    """Insert ``row`` (see :func:`~claworc_tui.db.rows.new_row`), stamped now."""
    await conn.execute(
        f"INSERT INTO instances ({', '.join(row)}, created_at, updated_at) "
        f"VALUES ({', '.join('?' * len(row))}, {NOW}, {NOW})",
        tuple(row.values()),
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
        rows = await self._db.fetchall(f"SELECT {COLUMNS} FROM instances ORDER BY name")
        return [row_to_instance(row) for row in rows]

    async def get(self, name: str) -> Instance:
        """The instance called ``name``.

        Raises:
            InstanceNotFound: If there is none.
        """
        row = await self._db.fetchone(f"SELECT {COLUMNS} FROM instances WHERE name = ?", (name,))
        if row is None:
            raise InstanceNotFound(name)
        return row_to_instance(row)

    async def find(self, name: str) -> Instance | None:
        """The instance called ``name``, or None."""
        row = await self._db.fetchone(f"SELECT {COLUMNS} FROM instances WHERE name = ?", (name,))
        return None if row is None else row_to_instance(row)

    async def used_ports(self) -> set[int]:
        """Every NodePort held by a row (both of each pair; private rows hold none)."""
        rows = await self._db.fetchall(USED)
        return {port for row in rows for port in row if port is not None}

    def _seal(self, keys: dict[Provider, SecretStr]) -> dict[Provider, str]:
        return {p: self._sealer.seal(k) for p, k in keys.items()}

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
        sealed = self._seal(spec.api_keys)
        async with self._db.transaction() as conn:
            names, _ = await holders(conn)
            if name in names:
                raise NameTaken(name)
            chrome: int | None = None
            if exposure is not Exposure.PRIVATE:
                chrome = await free_pair(conn, port_range, skip_ports)
            row = new_row(
                name,
                spec.display_name,
                spec.resources,
                spec.storage,
                ports=(chrome, None if chrome is None else chrome + 1),
                status="creating",
                sealed=sealed,
                clawdbot_config=spec.clawdbot_config,
                exposure=exposure,
                image=spec.image,
                op_step="record",
                op_owner=owner,
            )
            await _insert(conn, row)
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
        i = instance
        sealed = self._seal(keys)
        async with self._db.transaction() as conn:
            names, held = await holders(conn)
            if i.name in names:
                raise NameTaken(i.name)
            chrome, terminal = i.nodeport_chrome, i.nodeport_terminal
            if port_range is not None:
                chrome = lowest_free_pair_or_raise(port_range, set(held) | set(skip_ports))
                terminal = chrome + 1
            if chrome is not None and terminal is not None:
                clash = held.get(chrome) or held.get(terminal)
                if clash is not None:
                    raise PortsTaken(chrome, terminal, clash)
            row = new_row(
                i.name,
                i.display_name,
                i.resources,
                i.storage,
                ports=(chrome, terminal),
                status=i.status.value,
                sealed=sealed,
                clawdbot_config=i.clawdbot_config,
                exposure=i.exposure,
                image=i.image,
            )
            await _insert(conn, row)
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
            names, used = await holders(conn)
            for record, keys in records:
                if record.name in names:
                    raise NameTaken(record.name)
                for port in record.ports:
                    if port in used:
                        raise ValidationFailed(
                            "nodeport", f"port {port} of {record.name} is held by {used[port]}"
                        )
                row = new_row(
                    record.name,
                    record.display_name,
                    record.resources,
                    record.storage,
                    ports=(record.nodeport_chrome, record.nodeport_terminal),
                    status=record.status,
                    sealed=self._seal(keys),
                    clawdbot_config=record.clawdbot_config,
                    exposure=record.exposure,
                    image=record.image,
                )
                await _insert(conn, row)
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
            chrome = await free_pair(conn, port_range, skip_ports, other_than=name)
            await conn.execute(
                f"UPDATE instances SET nodeport_chrome = ?, nodeport_terminal = ?, "
                f"updated_at = {NOW} WHERE name = ?",
                (chrome, chrome + 1, name),
            )
        await self.changes.publish([name])
        return await self.get(name)

    async def _update(self, name: str, columns: Mapping[str, object]) -> Instance:
        """Set ``columns`` of the row (their names come from this code, never from input)."""
        assignments = ", ".join(f"{column} = ?" for column in columns)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE instances SET {assignments}, updated_at = {NOW} WHERE name = ?",
                (*columns.values(), name),
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
            {"status": status.value, "status_detail": detail, "op_step": step, "op_owner": owner},
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
            chrome, terminal, prior = await pair_for_exposure(
                conn, name, exposure, port_range, skip_ports
            )
            await conn.execute(
                "UPDATE instances SET exposure = ?, nodeport_chrome = ?, nodeport_terminal = ?, "
                f"prior_nodeport = ?, updated_at = {NOW} WHERE name = ?",
                (exposure.value, chrome, terminal, prior, name),
            )
        await self.changes.publish([name])
        return await self.get(name)

    async def set_step(self, name: str, step: str) -> None:
        """Record the step an operation has reached."""
        await self._update(name, {"op_step": step})

    async def set_image(self, name: str, image: str | None) -> Instance:
        """Store the instance's own image (already validated; None: the settings' image)."""
        return await self._update(name, {"image": image})

    async def set_image_if(self, name: str, image: str | None, *, expected: str | None) -> bool:
        """Store ``image`` only while the row still holds ``expected`` (``WHERE image IS ?``).

        Returns:
            False when another writer changed the image meanwhile (the row is left as it is).
        """
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE instances SET image = ?, updated_at = {NOW} WHERE name = ? AND image IS ?",
                (image, name, expected),
            )
            changed = cursor.rowcount == 1
        if changed:
            await self.changes.publish([name])
        return changed

    async def set_config(self, name: str, config: str | None) -> Instance:
        """Store a new ``clawdbot.json`` (already validated)."""
        return await self._update(name, {"clawdbot_config": config})

    async def set_resources(self, name: str, resources: Resources) -> Instance:
        """Store new cpu/memory requests and limits."""
        return await self._update(name, resource_columns(resources))

    async def set_storage(self, name: str, storage: Storage) -> Instance:
        """Store new PVC sizes."""
        return await self._update(name, storage_columns(storage))

    async def set_override(self, name: str, provider: Provider, key: SecretStr | None) -> Instance:
        """Set (sealed) or clear a per-instance key."""
        sealed = None if key is None else self._sealer.seal(key)
        return await self._update(name, {provider.value: sealed})

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
