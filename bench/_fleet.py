"""The cluster side of the benchmarks: an emulated API server in its own process, a seeded fleet.

The emulator runs in a child process (``_emulator.py``) so that what we measure — CPU, memory,
latency of the app — is the app's alone, as it would be against a real API server; the emulator's
own work (storing 200 000 log lines, running 1 000 pods) happens on the other core. The child
also seeds the fleet through ``InstanceService.create`` so the app process starts clean.

Test hooks (``set_pod_phase``, ``generate_logs``, ``stop``/``start`` …) are sent as JSON lines
over the child's stdin; each answer comes back as one JSON line on its stdout. Times the child
reports are ``time.monotonic()``, which is CLOCK_MONOTONIC on Linux and so comparable between
the two processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claworc_tui.config import Settings
from claworc_tui.models.instance import InstanceSpec
from claworc_tui.services import Services, open_services

NS = "claworc"
HERE = Path(__file__).resolve().parent
#: Port range wide enough for 1 000 instances (the default holds 50 pairs).
WIDE_PORTS = ("30000", "32766")


def bench_settings(folder: Path, **flags: Any) -> Settings:
    """Settings for a database, key file and log dir inside ``folder`` (kubeconfig there too)."""
    return Settings(
        db=folder / "data" / "claworc.db",
        kubeconfig=folder / "kubeconfig",
        namespace=NS,
        config_dir=folder / "config",
        state_dir=folder / "state",
        **flags,
    )


def instance_names(count: int, start: int = 0) -> list[str]:
    """Display names ``W0000``, ``W0001``, … (instance names ``bot-w0000`` …)."""
    return [f"W{i:04d}" for i in range(start, start + count)]


async def create_fleet(
    services: Services, display_names: list[str], *, concurrency: int = 8, within: float = 600.0
) -> None:
    """Create instances through the service (independent creates run concurrently)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(display_name: str) -> None:
        async with gate:
            async for _ in services.instances.create(InstanceSpec(display_name=display_name)):
                pass

    async with asyncio.timeout(within):
        await asyncio.gather(*(one(n) for n in display_names))


async def wait_running(services: Services, count: int, *, within: float = 300.0) -> None:
    """Wait until ``count`` instances are Running and ready."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        views = await services.instances.list_views()
        if len(views) == count and all(v.ready and v.status == "Running" for v in views):
            return
        if loop.time() > deadline:
            ready = sum(1 for v in views if v.ready)
            raise TimeoutError(f"{ready}/{count} instances ready after {within:.0f}s")
        await asyncio.sleep(0.1)


class EmulatorProcess:
    """Client of the emulator child: ``await emu.call("set_pod_phase", pod=…)``."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str) -> None:
        self.proc = proc
        self.url = url
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            answer = json.loads(line)
            future = self._waiting.pop(int(answer["id"]), None)
            if future is None or future.done():
                continue
            if "error" in answer:
                future.set_exception(RuntimeError(f"emulator: {answer['error']}"))
            else:
                future.set_result(answer.get("ok"))
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(RuntimeError("the emulator process exited"))

    async def call(self, op: str, *, answer_within: float = 600.0, **args: Any) -> Any:
        """Run one hook in the child and return its answer (waiting ``answer_within`` at most)."""
        assert self.proc.stdin is not None
        ident = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[ident] = future
        self.proc.stdin.write(json.dumps({"id": ident, "op": op, "args": args}).encode() + b"\n")
        await self.proc.stdin.drain()
        async with asyncio.timeout(answer_within):
            return await future

    async def close(self) -> None:
        """Ask the child to stop and wait for it (killed after 10 s)."""
        with contextlib.suppress(Exception):
            await self.call("quit", answer_within=10)
        if self.proc.stdin is not None:
            with contextlib.suppress(Exception):
                self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@contextlib.asynccontextmanager
async def emulator_process(
    folder: Path, *, pod_start_delay: float = 0.05, latency: float = 0.0
) -> AsyncIterator[EmulatorProcess]:
    """Start the emulator child on 127.0.0.1; it writes ``folder/kubeconfig``."""
    config = {"pod_start_delay": pod_start_delay, "pod_grace_period": 0.05, "latency": latency}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "_emulator.py"),
        "--config",
        json.dumps(config),
        "--folder",
        str(folder),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=64 * 1024 * 1024,
    )
    assert proc.stdout is not None
    try:
        first = await asyncio.wait_for(proc.stdout.readline(), 60)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    if not first:
        await proc.wait()
        raise RuntimeError(f"the emulator process exited with {proc.returncode}")
    emulator = EmulatorProcess(proc, json.loads(first)["ready"])
    try:
        yield emulator
    finally:
        await emulator.close()


async def seeded(
    emulator: EmulatorProcess, count: int, *, wide_ports: bool = False, within: float = 900.0
) -> float:
    """Have the child create ``count`` instances and wait until they run; returns seconds."""
    took: float = await emulator.call(
        "seed", count=count, wide_ports=wide_ports, within=within, answer_within=within + 30
    )
    return took


async def open_app_services(folder: Path) -> Services:
    """The app's services on the seeded database (the emulator child serves the cluster)."""
    return await open_services(bench_settings(folder), sweep=True)


@contextlib.asynccontextmanager
async def app_services(folder: Path) -> AsyncIterator[Services]:
    """:func:`open_app_services`, closed after."""
    services = await open_app_services(folder)
    try:
        yield services
    finally:
        await services.aclose()


@dataclass
class Fleet:
    """A seeded fleet: its temporary folder, the emulator child serving it, the seeding time."""

    folder: Path
    emulator: EmulatorProcess
    seeded_in: float


@contextlib.asynccontextmanager
async def seeded_fleet(
    count: int, *, wide_ports: bool = False, within: float = 900.0
) -> AsyncIterator[Fleet]:
    """A temporary folder and the emulator child with ``count`` running instances, all removed
    after (the start most benchmarks share; ``wide_ports``/``within`` as for :func:`seeded`)."""
    with tempfile.TemporaryDirectory(prefix="claworc-bench-") as tmp:
        folder = Path(tmp)
        async with emulator_process(folder) as emulator:
            took = await seeded(emulator, count, wide_ports=wide_ports, within=within)
            yield Fleet(folder, emulator, took)
