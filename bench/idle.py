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
import tempfile
import time
from pathlib import Path

from _fleet import emulator_process, open_app_services, seeded
from _report import Report, cpu_seconds, finish, header, parse_args
from _ui import SIZE, FrameDriver, wait_until

from claworc_tui.app import ClaworcApp
from claworc_tui.ui.screens.main import MainScreen

SETTLE = 3.0


async def measure(report: Report, count: int, window: float) -> None:
    with tempfile.TemporaryDirectory(prefix="claworc-bench-") as tmp:
        folder = Path(tmp)
        async with emulator_process(folder) as emulator:
            await seeded(emulator, count)
            services = await open_app_services(folder)
            try:
                app = ClaworcApp(services, environ={}, driver_class=FrameDriver)
                async with app.run_test(headless=False, size=SIZE):
                    screen = app.screen
                    assert isinstance(screen, MainScreen)
                    listing = screen.instance_list
                    await wait_until(lambda: listing.row_count == count, 30, "the list")
                    await asyncio.sleep(SETTLE)
                    frames = FrameDriver.frames
                    requests: int = await emulator.call("request_count")
                    cpu = cpu_seconds()
                    start = time.monotonic()
                    await asyncio.sleep(window)
                    took = time.monotonic() - start
                    used = cpu_seconds() - cpu
                    frames = FrameDriver.frames - frames
                    requests = await emulator.call("request_count") - requests
            finally:
                await services.aclose()
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
    asyncio.run(asyncio.wait_for(measure(report, count, window), 120 + window))
    return finish(report, args)


if __name__ == "__main__":
    sys.exit(main())
