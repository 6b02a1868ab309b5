"""Idle: the app's CPU over 30 s with 50 running instances and nothing changing.

    .venv/bin/python bench/idle.py [--quick] [--runs SECONDS] [--json FILE]

50 running instances; the app (on :class:`FrameDriver`, 160x45) shows them, the pods settle,
then for 30 s nothing changes in the cluster and no key is pressed. Measured: the app process's
CPU time (user + system, all threads, from getrusage) over the window, as a percentage of one
core; plus, for the diagnosis, the frames it drew and the API requests it made meanwhile.
"""

from __future__ import annotations

import asyncio
import sys
import time

from _fleet import app_services, seeded_fleet
from _report import Report, cpu_seconds, header, parse_args, run
from _ui import SIZE, FrameDriver, frame_app, listed

SETTLE = 3.0


async def measure(report: Report, count: int, window: float) -> None:
    async with seeded_fleet(count) as fleet, app_services(fleet.folder) as services:
        app = frame_app(services)
        async with app.run_test(headless=False, size=SIZE):
            await listed(app, count, 30)
            await asyncio.sleep(SETTLE)
            frames = FrameDriver.frames
            requests: int = await fleet.emulator.call("request_count")
            cpu = cpu_seconds()
            start = time.monotonic()
            await asyncio.sleep(window)
            took = time.monotonic() - start
            used = cpu_seconds() - cpu
            frames = FrameDriver.frames - frames
            requests = await fleet.emulator.call("request_count") - requests
    report.add(
        f"idle CPU, {count} instances",
        used / took * 100,
        "%",
        at_most=1.0,
        detail=f"{used * 1000:.0f} ms CPU in {took:.1f} s",
    )
    report.add("frames drawn while idle", frames, "frames", detail=f"in {took:.0f} s")
    report.add("API requests while idle", requests, "requests", detail="answered by the emulator")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__ or "", argv)
    report = header("idle", args)
    count = 10 if args.quick else 50
    window = float(args.runs or (2 if args.quick else 30))
    return run(report, args, measure(report, count, window), 120 + window)


if __name__ == "__main__":
    sys.exit(main())
