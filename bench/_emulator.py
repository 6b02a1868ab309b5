"""The emulator child of the benchmarks (see ``_fleet.py``): serves, seeds, and runs test hooks.

Run by ``_fleet.emulator_process``; not meant to be started by hand. Speaks JSON lines: one
request ``{"id", "op", "args"}`` per stdin line, one answer ``{"id", "ok"|"error"}`` per line.
Exits when stdin closes or on ``quit``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from _fleet import NS, WIDE_PORTS, bench_settings, create_fleet, instance_names, wait_running

from claworc_emulator import EmulatorConfig, EmulatorServer, RequestRecord
from claworc_tui.services import open_services


class StampedRequests(list[RequestRecord]):
    """The emulator's request record, plus when each request ended (``time.monotonic()``)."""

    def __init__(self) -> None:
        super().__init__()
        self.ended: list[float] = []

    def append(self, record: RequestRecord) -> None:
        self.ended.append(time.monotonic())
        super().append(record)


class Child:
    """The hooks the parent can call."""

    def __init__(self, server: EmulatorServer, folder: Path) -> None:
        self.server = server
        self.folder = folder
        self.done = asyncio.Event()
        self.stamped = StampedRequests()
        server.requests = self.stamped

    async def op_quit(self) -> None:
        self.done.set()

    async def op_stop(self) -> float:
        await self.server.stop()
        return time.monotonic()

    async def op_start(self) -> float:
        await self.server.start()
        return time.monotonic()

    async def op_set_latency(self, seconds: float) -> None:
        self.server.config.latency = seconds

    async def op_set_pod_phase(self, pod: str, phase: str, reason: str | None) -> float:
        self.server.set_pod_phase(NS, pod, phase, reason)
        return time.monotonic()

    async def op_append_log(self, pod: str, lines: list[str]) -> float:
        self.server.append_log(NS, pod, lines)
        return time.monotonic()

    async def op_generate_logs(self, pod: str, count: int, template: str) -> list[float]:
        start = time.monotonic()
        await self.server.generate_logs(NS, pod, rate=None, count=count, template=template)
        return [start, time.monotonic()]

    async def op_pods(self) -> dict[str, str]:
        """The live pod of every instance: ``{instance: pod}``."""
        out: dict[str, str] = {}
        for pod in self.server.objects("pods", NS):
            meta = pod["metadata"]
            if not meta.get("deletionTimestamp"):
                out[meta.get("labels", {}).get("app", "")] = meta["name"]
        return out

    async def op_request_count(self) -> int:
        return len(self.server.requests)

    async def op_requests(self, since: int) -> list[list[Any]]:
        """``[method, path, query, status, started, ended]`` of each request since ``since``."""
        ended = self.stamped.ended
        return [
            [r.method, r.path, r.query, r.status, ended[i] - r.duration, ended[i]]
            for i, r in enumerate(self.stamped[since:], start=since)
        ]

    async def op_object_count(self) -> int:
        kinds = (
            *("pods", "deployments", "services", "secrets", "configmaps"),
            "persistentvolumeclaims",
        )
        return sum(len(self.server.objects(kind, NS)) for kind in kinds)

    async def op_seed(self, count: int, wide_ports: bool, within: float) -> float:
        """Create ``count`` instances through the service and wait until they all run."""
        start = time.monotonic()
        services = await open_services(bench_settings(self.folder))
        try:
            if wide_ports:
                await services.instances.update_settings(
                    {"port_range_start": WIDE_PORTS[0], "port_range_end": WIDE_PORTS[1]}
                )
            existing = len(await services.instances.list_views())
            names = instance_names(count - existing, existing)
            await create_fleet(services, names, concurrency=16, within=within)
            await wait_running(services, count, within=within)
        finally:
            await services.aclose()
        return time.monotonic() - start


async def serve(config: dict[str, Any], folder: Path) -> None:
    server = EmulatorServer(EmulatorConfig(**config))
    url = await server.start()
    server.write_kubeconfig(folder / "kubeconfig", namespace=NS)
    child = Child(server, folder)
    print(json.dumps({"ready": url}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    tasks: set[asyncio.Task[None]] = set()

    async def handle(request: dict[str, Any]) -> None:
        answer: dict[str, Any] = {"id": request["id"]}
        try:
            method = getattr(child, f"op_{request['op']}")
            answer["ok"] = await method(**request.get("args", {}))
        except Exception as exc:  # reported to the parent, which raises it there
            answer["error"] = f"{type(exc).__name__}: {exc}"
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()

    async def read_requests() -> None:
        while line := await reader.readline():
            task = asyncio.create_task(handle(json.loads(line)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        child.done.set()

    requests = asyncio.create_task(read_requests())
    await child.done.wait()
    requests.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await requests
    await asyncio.sleep(0.05)  # let the answer to "quit" go out
    await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="{}")
    parser.add_argument("--folder", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(json.loads(args.config), args.folder))


if __name__ == "__main__":
    main()
