"""Choosing NodePort pairs inside a write transaction (the write lock is already held, so two
processes allocating at once serialise and never pick the same pair)."""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite

from claworc_tui.models.errors import InstanceNotFound, PortRangeExhausted
from claworc_tui.models.exposure import Exposure

USED = "SELECT nodeport_chrome, nodeport_terminal FROM instances WHERE nodeport_chrome IS NOT NULL"


async def free_pair(
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
    query, params = (USED, ()) if other_than is None else (f"{USED} AND name != ?", (other_than,))
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
    return lowest_free_pair_or_raise(port_range, used)


def lowest_free_pair(start: int, end: int, used: set[int]) -> int | None:
    """The lowest even port in [start, end] whose pair (port, port+1) is entirely free."""
    return next(
        (p for p in range(start + start % 2, end, 2) if p not in used and p + 1 not in used),
        None,
    )


def lowest_free_pair_or_raise(port_range: tuple[int, int], used: set[int]) -> int:
    """:func:`lowest_free_pair`, or :class:`PortRangeExhausted` when there is none."""
    start, end = port_range
    chrome = lowest_free_pair(start, end, used)
    if chrome is None:
        raise PortRangeExhausted(start, end, (end - start + 1) // 2)
    return chrome


async def holders(conn: aiosqlite.Connection) -> tuple[set[str], dict[int, str]]:
    """Every name in the table, and which name holds each NodePort."""
    cursor = await conn.execute("SELECT name, nodeport_chrome, nodeport_terminal FROM instances")
    rows = await cursor.fetchall()
    held = {port: row[0] for row in rows for port in (row[1], row[2]) if port is not None}
    return {row[0] for row in rows}, held


async def pair_for_exposure(
    conn: aiosqlite.Connection,
    name: str,
    exposure: Exposure,
    port_range: tuple[int, int],
    skip_ports: Iterable[int],
) -> tuple[int | None, int | None, int | None]:
    """The chrome and terminal ports and ``prior_nodeport`` of ``name`` under ``exposure``.

    Private: the pair is released (its chrome port kept as the prior one). NodePort: the pair
    it holds, else the prior pair if it is free, else the lowest free pair.

    Raises:
        InstanceNotFound: No such instance.
        PortRangeExhausted: NodePort asked for and no pair is free.
    """
    cursor = await conn.execute(
        "SELECT nodeport_chrome, nodeport_terminal, prior_nodeport FROM instances WHERE name = ?",
        (name,),
    )
    row = await cursor.fetchone()
    if row is None:
        raise InstanceNotFound(name)
    chrome, terminal, prior = row
    if exposure is Exposure.PRIVATE:
        return None, None, chrome if chrome is not None else prior
    if chrome is None:
        chrome = await free_pair(conn, port_range, skip_ports, other_than=name, prefer=prior)
        terminal = chrome + 1
    return chrome, terminal, prior
