"""Status propagation: the emulator changes a pod's phase → the row shows it.

    .venv/bin/python bench/status.py [--quick] [--runs N] [--json FILE]

50 running instances; the app runs on :class:`FrameDriver` at 160x45. N times (200 by default),
the emulator child writes a new ``status.reason`` (``Probe000``, ``Probe001`` …) on the pod of
the second row (visible, not the selected one, so the detail pane cannot be what shows it); the
latency runs from the child's write (its ``time.monotonic()``) to the first frame whose output
contains the new text. Changes are 20–50 ms apart, so each one is measured on its own.
"""

from __future__ import annotations

import asyncio
import random
import sys

from _fleet import app_services, seeded_fleet
from _report import Deadline, Report, header, median, p95, parse_args, run
from _ui import SIZE, FrameCheck, frame_app, listed, watch


def shows(text: str) -> FrameCheck:
    """A frame check: the frame's output contains ``text``."""
    return lambda data, now: text in data


async def measure(report: Report, quick: bool, changes: int, budget: Deadline) -> None:
    count = 10 if quick else 50
    rng = random.Random(6)
    async with seeded_fleet(count) as fleet, app_services(fleet.folder) as services:
        pods: dict[str, str] = await fleet.emulator.call("pods")
        app = frame_app(services)
        async with app.run_test(headless=False, size=SIZE):
            listing = (await listed(app, count, 30, running=True)).instance_list
            target = sorted(listing.views)[1]
            latencies: list[float] = []
            for i in range(changes):
                budget.check(f"change {i}")
                text = f"Probe{i:03d}"
                frame = watch(shows(text))
                written: float = await fleet.emulator.call(
                    "set_pod_phase", pod=pods[target], phase="Running", reason=text
                )
                latencies.append(await frame.wait(5) - written)
                await asyncio.sleep(0.02 + 0.03 * rng.random())
    ms = [x * 1000 for x in latencies]
    report.add("status → row, median", median(ms), "ms", detail=f"{changes} changes")
    report.add("status → row, p95", p95(ms), "ms", at_most=150)
    report.add("status → row, max", max(ms), "ms")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__ or "", argv)
    report = header("status", args)
    changes = args.runs or (20 if args.quick else 200)
    budget = Deadline(90 if args.quick else 600)
    return run(report, args, measure(report, args.quick, changes, budget), budget.seconds)


if __name__ == "__main__":
    sys.exit(main())
