"""Requests at idle: API calls per minute with 50 instances and one of them selected.

    .venv/bin/python bench/requests.py [--quick] [--runs SECONDS] [--json FILE]

50 running instances; the app (on :class:`FrameDriver`, 160x45) shows them with the first one
selected and its detail pane open; after start-up settles, nothing changes for 120 s (``--runs``
sets the window) and every request the emulator answers meanwhile is counted. Only the watches
should remain: each is renewed when the server ends it (``timeoutSeconds`` 290 s), so five watches
come to about one request a minute. A watch is counted when it ends, so a renewal that starts in
the window and is still open at its end is not counted.

A second figure: the same, while the selected instance's pod changes status every second (a
crash loop does that). Before the informers, each change made the detail pane re-read the
instance's objects and events (~18 GETs); now the pane is rebuilt from the watch cache.

A third: the requests it takes to open the drift view (``d``) until its report shows. Before
drift read the informers' cache it read every object of every instance (8 GETs each, 400 for
50 instances, plus 6 lists); now only what no watch carries is read: the Secrets and ConfigMaps
(one list each) and the cluster's nodePorts (one list).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from typing import Any

from _fleet import app_services, seeded_fleet
from _report import Report, header, parse_args, run
from _ui import SIZE, frame_app, listed, wait_until

from claworc_tui.app import ClaworcApp
from claworc_tui.ui.screens.drift import DriftScreen

SETTLE = 3.0


def _kind(method: str, path: str, query: str) -> str:
    """``GET pods`` for a list, ``GET pods/…`` for one object (core and named API groups)."""
    parts = path.strip("/").split("/")
    at = parts.index("namespaces") + 2 if "namespaces" in parts else (2 if parts[0] == "api" else 3)
    at = min(at, len(parts) - 1)
    what = parts[at] + ("/…" if len(parts) > at + 1 else "")
    return f"{'WATCH' if 'watch=' in query else method} {what}"


async def measure(report: Report, count: int, window: float, changing: float) -> None:
    async with seeded_fleet(count) as fleet, app_services(fleet.folder) as services:
        app = frame_app(services)
        async with app.run_test(headless=False, size=SIZE) as pilot:
            screen = await listed(app, count, 30)
            listing = screen.instance_list
            await pilot.press("enter")  # the detail pane of the selected instance
            await wait_until(lambda: screen.detail.details is not None, 30, "details")
            await asyncio.sleep(SETTLE)
            since: int = await fleet.emulator.call("request_count")
            start = time.monotonic()
            await asyncio.sleep(window)
            took = time.monotonic() - start
            calls = await fleet.emulator.call("requests", since=since)
            add(report, f"at idle, {count} instances, one selected", calls, took)
            selected = listing.selected_name
            pod = (await fleet.emulator.call("pods"))[selected]
            since = await fleet.emulator.call("request_count")
            start = time.monotonic()
            for change in range(max(1, int(changing))):
                reason = f"Probe{change:03d}"
                await fleet.emulator.call("set_pod_phase", pod=pod, phase="Running", reason=reason)
                await asyncio.sleep(1.0)
            took = time.monotonic() - start
            calls = await fleet.emulator.call("requests", since=since)
            add(report, "with the selected pod changing every second", calls, took)
            await open_drift(report, app, fleet.emulator, count)


async def open_drift(report: Report, app: ClaworcApp, emulator: Any, count: int) -> None:
    """Count the requests from pressing ``d`` until the drift view shows its report."""
    since = await emulator.call("request_count")
    await app.screen.run_action("drift")
    screen = app.screen
    assert isinstance(screen, DriftScreen)
    await wait_until(lambda: screen._report is not None, 60, "the drift report")
    calls = [c for c in await emulator.call("requests", since=since) if "watch=" not in str(c[2])]
    kinds = Counter(_kind(str(m), str(p), str(q)) for m, p, q, *_ in calls)
    report.add(
        f"API requests to open the drift view, {count} instances",
        len(calls),
        "requests",
        at_most=3,
        detail=", ".join(f"{n}× {k}" for k, n in kinds.most_common()) or "none",
    )


def add(report: Report, what: str, calls: list[list[object]], took: float) -> None:
    kinds = Counter(_kind(str(m), str(p), str(q)) for m, p, q, *_ in calls)
    report.add(
        f"API requests per minute {what}",
        len(calls) / took * 60,
        "req/min",
        at_most=2.0,
        detail=f"{len(calls)} in {took:.0f} s: "
        + (", ".join(f"{n}× {k}" for k, n in kinds.most_common()) or "none"),
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__ or "", argv)
    report = header("requests", args)
    count = 10 if args.quick else 50
    window = float(args.runs or (3 if args.quick else 120))
    changing = 2.0 if args.quick else 30.0
    return run(report, args, measure(report, count, window, changing), 180 + window + changing)


if __name__ == "__main__":
    sys.exit(main())
