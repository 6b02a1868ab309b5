"""Logs: the emulator writes as fast as it can to a followed pod; what the log pane keeps up with.

    .venv/bin/python bench/logs.py [--quick] [--runs FLOODS] [--json FILE]

Three running instances; the app (on :class:`FrameDriver`, 160x45) opens the log pane on the
first. Then, FLOODS times (3 by default), the emulator child appends 200 000 lines of ~90
characters to that pod's log, 500 per loop turn, as fast as its event loop goes. Measured:

* lines/s shown: non-marker lines handed to the pane's view (counted by wrapping
  ``LogView.append`` on this one instance), from the child's first write to the last line shown;
  lines dropped — by the service's bounded buffer or by the pane's per-batch draw budget — are
  counted apart (from the pane's "N lines dropped" markers); lines/s taken in counts both;
* key latency meanwhile: every 100–150 ms a key (alternately ``g``, to the top, and ``G``, follow
  again — the pane's own keys) is sent the way terminal input arrives; the latency runs to the
  first frame drawn in the state the key asks for. p95 is over the keys of every flood;
* event-loop lag: a 5 ms ticker in the app's loop records how late it wakes (a stall blocks keys
  and frames alike);
* app CPU per 1 000 lines, and peak RSS (VmHWM) of the app process after the first 200 000 lines
  and after all floods (the emulator, which keeps every line, is the other process).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import sys
import time

from _fleet import (
    EmulatorProcess,
    app_services,
    seeded_fleet,
)
from _report import (
    Deadline,
    Report,
    cpu_seconds,
    header,
    median,
    p95,
    parse_args,
    rss_mb,
    run,
)
from _ui import SIZE, frame_app, send_key, wait_until, watch
from textual.pilot import Pilot

from claworc_tui.services.views import LogStreamState
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.widgets.log_pane import LogPane
from claworc_tui.ui.widgets.log_view import MARKER

TEMPLATE = "2025-01-15T12:00:00.000Z INFO gateway: request {i:06d} served path=/v1/messages ok 3ms"
_DROPPED = re.compile(r"(\d+) lines dropped")


class Counter:
    """Counts what reaches the pane's view (wraps ``append`` on that one view)."""

    def __init__(self, pane: LogPane) -> None:
        self.shown = 0
        self.dropped = 0
        self.last_at = 0.0
        view = pane.view
        original = view.append

        def append(lines: list[str], *, follow: bool) -> None:
            for line in lines:
                if line.startswith(MARKER):
                    match = _DROPPED.search(line)
                    self.dropped += int(match.group(1)) if match else 0
                else:
                    self.shown += 1
            self.last_at = time.monotonic()
            original(lines, follow=follow)

        view.append = append  # type: ignore[method-assign]


class LoopLag:
    """How late a 5 ms ticker wakes up in the app's loop."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            self.lags.append(max(0.0, now - last - 0.005))
            last = now

    def start(self) -> None:
        self.lags.clear()
        self._task = asyncio.create_task(self._tick())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def key_latencies(pane: LogPane, until: asyncio.Event, budget: Deadline) -> list[float]:
    """Alternate g/G while lines flood in; each latency runs to the frame showing it."""
    rng = random.Random(7)
    view = pane.view
    out: list[float] = []
    to_top = True
    # Keys mean something only once there is more than a screen of lines.
    await wait_until(
        lambda: view.max_scroll_y >= 5 or until.is_set(), budget.left(), "a screen of lines"
    )
    while not until.is_set():
        budget.check("pressing keys")
        if to_top:
            frame = watch(lambda data, now: view.scroll_y == 0)
            sent = send_key(pane.app, "g")
        else:
            frame = watch(lambda data, now: view.at_end and pane.unseen == 0)
            sent = send_key(pane.app, "G")
        out.append(await frame.wait(10) - sent)
        to_top = not to_top
        await asyncio.sleep(0.1 + 0.05 * rng.random())
    return out


class Flood:
    """One flood's figures."""

    def __init__(self, took: float, shown: int, dropped: int, keys: list[float]) -> None:
        self.rate, self.shown, self.dropped, self.keys = shown / took, shown, dropped, keys
        self.taken = (shown + dropped) / took
        """Lines/s read off the stream, shown or (counted) dropped."""


async def flood(
    pane: LogPane, emulator: EmulatorProcess, pod: str, total: int, budget: Deadline
) -> tuple[Flood, float]:
    """Write ``total`` lines; returns the figures and the child's own write rate."""
    counter = Counter(pane)
    done = asyncio.Event()
    keys = asyncio.create_task(key_latencies(pane, done, budget))
    started, finished = await emulator.call(
        "generate_logs", pod=pod, count=total, template=TEMPLATE, answer_within=budget.left()
    )
    await wait_until(
        lambda: counter.shown + counter.dropped >= total, budget.left(), "every line shown"
    )
    done.set()
    latencies = await keys
    took = counter.last_at - started
    result = Flood(took, counter.shown, counter.dropped, latencies)
    return result, total / max(finished - started, 1e-9)


async def run_floods(
    report: Report, pilot: Pilot[int], emulator: EmulatorProcess, floods: int, total: int
) -> None:
    budget = Deadline(120 + 60 * floods)
    app = pilot.app
    screen = app.screen
    assert isinstance(screen, MainScreen)
    await wait_until(lambda: screen.instance_list.row_count == 3, 30, "the list")
    pods: dict[str, str] = await emulator.call("pods")
    await pilot.press("l")
    pane = screen.log_pane
    await wait_until(
        lambda: pane.state == LogStreamState.LIVE and len(pane.buffered) > 0, 30, "the log pane"
    )
    results: list[Flood] = []
    writes: list[float] = []
    lag = LoopLag()
    lag.start()
    cpu_before = cpu_seconds()
    first_peak = 0.0
    for _ in range(floods):
        result, write_rate = await flood(pane, emulator, pods["bot-w0000"], total, budget)
        results.append(result)
        writes.append(write_rate)
        first_peak = first_peak or rss_mb()[1]
    cpu = cpu_seconds() - cpu_before
    await lag.stop()
    current, peak = rss_mb()
    keys = [k * 1000 for r in results for k in r.keys]
    lags = [x * 1000 for x in lag.lags]
    shown = sum(r.shown for r in results)
    dropped = sum(r.dropped for r in results)
    report.add("emulator write rate, median", median(writes), "lines/s")
    report.add(
        "lines/s shown in the log pane",
        median([r.rate for r in results]),
        "lines/s",
        at_least=20_000,
        detail=f"median of {floods} floods of {total}; {shown} shown, {dropped} dropped",
    )
    report.add("lines/s taken in (shown + dropped)", median([r.taken for r in results]), "lines/s")
    report.add("key latency during flood, median", median(keys), "ms")
    report.add(
        "key latency during flood, p95", p95(keys), "ms", at_most=100, detail=f"{len(keys)} keys"
    )
    report.add("event-loop lag, p95", p95(lags), "ms", detail=f"max {max(lags, default=0):.0f} ms")
    report.add("app CPU per 1 000 lines", cpu / (floods * total) * 1000 * 1000, "ms")
    report.add(f"peak RSS after {total} lines", first_peak, "MB", at_most=250)
    report.add(f"peak RSS after {floods * total} lines", peak, "MB", detail=f"now {current:.0f} MB")
    report.add("lines held by the pane", len(pane.buffered), "lines", detail="bounded buffer")


async def measure(report: Report, floods: int, total: int) -> None:
    async with seeded_fleet(3) as fleet, app_services(fleet.folder) as services:
        app = frame_app(services)
        async with app.run_test(headless=False, size=SIZE) as pilot:
            await run_floods(report, pilot, fleet.emulator, floods, total)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__ or "", argv)
    report = header("logs", args)
    floods = args.runs or (1 if args.quick else 3)
    total = 20_000 if args.quick else 200_000
    seconds = 90 if args.quick else 600
    return run(report, args, measure(report, floods, total), seconds)


if __name__ == "__main__":
    sys.exit(main())
