"""1 000 instances: a filter keystroke → the list repainted; and the app's memory.

    .venv/bin/python bench/big_fleet.py [--quick] [--runs CYCLES] [--json FILE]

The emulator child widens the NodePort range (30000–32766) and creates 1 000 instances through
``InstanceService.create`` (16 at a time), all running. The app (on :class:`FrameDriver`,
160x45) opens on them; ``/`` opens the filter. Each cycle types three digits and erases them
(``7``, ``3``, ``1``, backspace ×3 — the last digits of a random instance's name, so every
filter matches some rows and each keystroke changes them),
each key sent the way terminal input arrives. The latency runs from the key to the first frame
drawn after the list holds the new filter whose output shows the row under the cursor (the list
is rebuilt, so its visible rows are all redrawn). RSS is read after the list is shown and again
after the keystrokes (VmRSS now, VmHWM peak).
"""

from __future__ import annotations

import asyncio
import random
import sys

from _fleet import app_services, seeded_fleet
from _report import Deadline, Report, header, median, p95, parse_args, rss_mb, run
from _ui import SIZE, FrameCheck, frame_app, listed, send_key, wait_until, watch
from textual.widgets import Input

from claworc_tui.app import ClaworcApp
from claworc_tui.ui.widgets.instance_list import InstanceList


def repainted(listing: InstanceList, text: str) -> FrameCheck:
    """A frame check: the list holds filter ``text`` and the cursor's row has been drawn."""

    def check(data: str, now: float) -> bool:
        if listing.filter_text != text:
            return False
        name = listing.selected_name
        return name is not None and name in data

    return check


async def keystrokes(
    app: ClaworcApp, listing: InstanceList, cycles: int, budget: Deadline
) -> list[float]:
    """Type and erase three digits per cycle; one latency per key."""
    rng = random.Random(1000)
    names = sorted(listing.views)
    typed = ""
    out: list[float] = []
    for _ in range(cycles):
        # The last three digits of an existing name: every prefix typed matches some rows.
        digits = list(rng.choice(names)[-3:])
        for key in [*digits, "backspace", "backspace", "backspace"]:
            budget.check("typing")
            typed = typed[:-1] if key == "backspace" else typed + key
            frame = watch(repainted(listing, typed))
            sent = send_key(app, key)
            out.append(await frame.wait(10) - sent)
            await asyncio.sleep(0.05)
    return out


async def measure(report: Report, count: int, cycles: int, budget: Deadline) -> None:
    seeding = seeded_fleet(count, wide_ports=True, within=budget.left())
    async with seeding as fleet, app_services(fleet.folder) as services:
        report.note(f"seeded {count} instances in {fleet.seeded_in:.0f}s (emulator child)")
        app = frame_app(services)
        async with app.run_test(headless=False, size=SIZE) as pilot:
            listing = (await listed(app, count, 60)).instance_list
            await pilot.pause(1.0)
            shown_rss = rss_mb()
            await pilot.press("slash")
            await wait_until(lambda: isinstance(app.focused, Input), 10, "the filter field")
            latencies = [x * 1000 for x in await keystrokes(app, listing, cycles, budget)]
            after_rss = rss_mb()
    report.add(
        "filter key → repaint, median",
        median(latencies),
        "ms",
        at_most=50,
        detail=f"{len(latencies)} keys, {count} instances",
    )
    report.add("filter key → repaint, p95", p95(latencies), "ms")
    report.add(f"RSS with {count} instances shown", shown_rss[0], "MB", at_most=200)
    report.add("RSS after the keystrokes", after_rss[0], "MB", at_most=200)
    report.add("peak RSS (VmHWM)", after_rss[1], "MB")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__ or "", argv)
    report = header("big_fleet", args)
    count = 60 if args.quick else 1000
    cycles = args.runs or (1 if args.quick else 5)
    budget = Deadline(120 if args.quick else 1500)
    return run(report, args, measure(report, count, cycles, budget), budget.seconds)


if __name__ == "__main__":
    sys.exit(main())
