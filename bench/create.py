"""Create: API requests per instance, and wall time with 20 ms of injected API latency.

    .venv/bin/python bench/create.py [--quick] [--runs N] [--json FILE]

``InstanceService.create`` runs N times (10 by default) against the emulator child with no added
latency, then N times with 20 ms added to every request (``EmulatorConfig.latency``). Requests
are counted from the emulator's own record (``EmulatorServer.requests``) between the start and
the end of each create. "Round trips deep" is the longest chain of those requests in which each
starts after the previous one ended (the child stamps when each request ended; start = end −
duration): requests sent concurrently count once. The wall times give the same figure roughly:
``(median at 20 ms − median at 0 ms) / 20 ms``.
One warm-up create is not counted. Only the service runs (no TUI): this is its cost.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _fleet import EmulatorProcess, emulator_process, open_app_services
from _report import Deadline, Report, header, median, parse_args, run

from claworc_tui.models.instance import InstanceSpec
from claworc_tui.services import Services

LATENCY = 0.020


async def one_create(
    services: Services, emulator: EmulatorProcess, display_name: str
) -> tuple[float, list[list[Any]]]:
    """(wall seconds, the requests it made) of one create."""
    before: int = await emulator.call("request_count")
    start = time.monotonic()
    async for _ in services.instances.create(InstanceSpec(display_name=display_name)):
        pass
    took = time.monotonic() - start
    made: list[list[Any]] = await emulator.call("requests", since=before)
    return took, made


def kind(request: list[Any]) -> str:
    """``POST persistentvolumeclaims`` from a recorded request."""
    path = str(request[1]).strip("/").split("/")
    at = path.index("namespaces") + 2 if "namespaces" in path else len(path) - 1
    return f"{request[0]} {path[min(at, len(path) - 1)]}"


def depth(requests: list[list[Any]]) -> int:
    """Round trips deep: the longest chain of requests each starting after the previous ended."""
    spans = sorted((float(r[4]), float(r[5])) for r in requests)
    longest: list[int] = []
    for i, (start, _) in enumerate(spans):
        before = [longest[j] for j in range(i) if spans[j][1] <= start]
        longest.append(1 + max(before, default=0))
    return max(longest, default=0)


async def measure(report: Report, runs: int, budget: Deadline) -> None:
    with tempfile.TemporaryDirectory(prefix="claworc-bench-") as tmp:
        folder = Path(tmp)
        async with emulator_process(folder) as emulator:
            services = await open_app_services(folder)
            try:
                await one_create(services, emulator, "Warm Up")
                walls: dict[float, list[float]] = {}
                counts: list[int] = []
                example: list[list[Any]] = []
                depths: list[int] = []
                for latency in (0.0, LATENCY):
                    await emulator.call("set_latency", seconds=latency)
                    walls[latency] = []
                    for i in range(runs):
                        budget.check("creating")
                        name = f"Lat {int(latency * 1000)} N{i}"
                        took, made = await one_create(services, emulator, name)
                        walls[latency].append(took)
                        counts.append(len(made))
                        example = example or made
                        if latency:
                            depths.append(depth(made))
            finally:
                await services.aclose()
    report.add(
        "API requests per create, max",
        max(counts),
        "requests",
        at_most=10,
        detail=f"median {median(counts):.0f} over {len(counts)} creates",
    )
    tally = Counter(kind(r) for r in example)
    report.note("one create: " + ", ".join(f"{n}× {k}" for k, n in sorted(tally.items())))
    zero, slow = median(walls[0.0]), median(walls[LATENCY])
    report.add("create wall time, 0 ms latency", zero * 1000, "ms", detail=f"median of {runs}")
    report.add("create wall time, 20 ms latency", slow * 1000, "ms", detail=f"median of {runs}")
    report.add(
        "round trips deep, max",
        max(depths),
        "trips",
        at_most=5,
        detail=f"longest chain of non-overlapping requests; wall-time estimate "
        f"{(slow - zero) / LATENCY:.1f}",
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__ or "", argv)
    report = header("create", args)
    runs = args.runs or (2 if args.quick else 10)
    budget = Deadline(90 if args.quick else 300)
    return run(report, args, measure(report, runs, budget), budget.seconds)


if __name__ == "__main__":
    sys.exit(main())
