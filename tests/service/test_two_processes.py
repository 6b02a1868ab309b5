"""Two OS processes allocating port pairs in one database file at the same moment."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from claworc_tui.crypto.sealing import new_key
from claworc_tui.db.connection import _prepare_path, open_database

WORKER = r"""
import asyncio, json, sys
from claworc_tui.config import Settings
from claworc_tui.models.instance import InstanceSpec
from claworc_tui.services.store import open_store

async def main(prefix: str, count: int, go: str) -> None:
    store = await open_store(Settings(db=sys.argv[1]))
    import os, time
    while not os.path.exists(go):
        time.sleep(0.001)
    got = []
    try:
        for i in range(count):
            inst = await store.instances.insert(
                f"bot-{prefix}-{i}", InstanceSpec(display_name=f"{prefix} {i}"),
                port_range=(30100, 30199),
            )
            got.append([inst.nodeport_chrome, inst.nodeport_terminal])
    finally:
        await store.aclose()
    print(json.dumps(got))

asyncio.run(main(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
"""


def test_two_processes_allocate_fifty_distinct_pairs(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    go = tmp_path / "go"
    env = {**os.environ, "CLAWORC_FERNET_KEY": new_key().decode()}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(db), prefix, "25", str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        for prefix in ("p", "q")
    ]
    go.touch()
    results = [proc.communicate(timeout=60) for proc in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
    pairs = [tuple(pair) for out, _ in results for pair in json.loads(out)]
    assert len(pairs) == 50
    assert len(set(pairs)) == 50
    assert {c for c, _ in pairs} == set(range(30100, 30200, 2))
    assert all(t == c + 1 for c, t in pairs)


def race(threads: int, start: Callable[[], None]) -> list[BaseException]:
    """Run ``start`` in ``threads`` threads released at the same moment; what they raised."""
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            start()
        except BaseException as exc:  # collected and returned
            errors.append(exc)

    running = [threading.Thread(target=run) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return errors


def test_first_starts_racing_on_a_missing_folder_all_open(tmp_path: Path) -> None:
    """Several first starts at once: none may fail because another created the folder first."""
    for attempt in range(40):
        path = tmp_path / f"run-{attempt}" / "data" / "claworc.db"
        errors = race(6, functools.partial(_prepare_path, path))
        assert errors == [], f"attempt {attempt}: {errors[0]}"
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700


def test_first_opens_racing_on_a_new_database_all_open(tmp_path: Path) -> None:
    """Several first starts opening (and switching to WAL) one new database at once."""

    async def first_open(path: Path) -> None:
        conn = await open_database(path)
        try:
            async with conn.execute("PRAGMA journal_mode") as cursor:
                row = await cursor.fetchone()
            assert row is not None
            assert row[0] == "wal"
        finally:
            await conn.close()

    def open_in_new_loop(path: Path) -> None:
        asyncio.run(first_open(path))

    for attempt in range(80):
        path = tmp_path / f"run-{attempt}" / "claworc.db"
        errors = race(6, functools.partial(open_in_new_loop, path))
        assert errors == [], f"attempt {attempt}: {errors[0]}"
