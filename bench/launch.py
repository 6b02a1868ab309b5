"""Launch → first frame with the list populated, against a bare DataTable app showing the same rows.

    .venv/bin/python bench/launch.py [--quick] [--runs N] [--json FILE]

Seeds 50 instances (emulator in a child process, created through ``InstanceService.create``),
then alternates, N times each: the bare app (one DataTable, filled in ``on_mount`` with the same
50 rows of text) and ``ClaworcApp`` as ``claworc-tui`` starts it: on the records alone
(``open_records``), connecting to the cluster after its first frame. Both run under
``App.run_test(headless=False, size=(160, 45))`` on :class:`FrameDriver`, so every frame is really
rendered; the clock runs from the app's construction to the first frame in which the table holds
all rows and the frames since have shown the first 20 names. Each run starts after a full garbage
collection, as in a fresh process (otherwise the garbage of earlier runs makes some launches pay a
60–120 ms collection). Opening the records (database, key check) happens before construction and
is reported on its own, together with the full launch (open + first frame); opening the
cluster comes after the frame and is not in these figures. One warm-up run of each is not
counted.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _fleet import bench_settings, emulator_process, open_app_services, seeded
from _report import Deadline, Report, finish, header, median, parse_args
from _ui import SIZE, FrameDriver, watch
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from claworc_tui.app import ClaworcApp
from claworc_tui.services.launch import open_records
from claworc_tui.services.views import InstanceView
from claworc_tui.ui.screens.main import MainScreen

COLUMNS = (
    *("", "NAME", "STATUS", "READY", "RST", "AGE", "DISPLAY NAME"),
    *("CHROME/TERM", "CPU", "MEM", "REASON"),
)
#: Names that must have been drawn (the first rows, all visible at 160x45 in both apps).
VISIBLE = 20


def row_of(view: InstanceView) -> tuple[str, ...]:
    """The cells the instance list shows for ``view``, as plain text."""
    inst = view.instance
    return (
        " ",
        view.name,
        f"● {view.status}",
        view.ready_text,
        str(view.restarts),
        "1m",
        inst.display_name,
        f"{inst.nodeport_chrome}/{inst.nodeport_terminal}",
        inst.resources.cpu_limit,
        inst.resources.memory_limit,
        view.reason or "",
    )


class BareApp(App[None]):
    """The reference: one DataTable with the same rows, nothing else."""

    def __init__(self, rows: list[tuple[str, ...]]) -> None:
        super().__init__(driver_class=FrameDriver)
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        table: DataTable[str] = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        for row in self.rows:
            table.add_row(*row, key=row[1])


def populated(app: App[Any], count: int, names: list[str]) -> Any:
    """A frame check: the table has ``count`` rows and the first names have been drawn."""
    needles = set(names[:VISIBLE])
    seen: set[str] = set()

    def check(data: str, now: float) -> bool:
        try:
            screen = app.screen
            table = (
                screen.instance_list
                if isinstance(screen, MainScreen)
                else screen.query_one(DataTable)
            )
        except Exception:  # not mounted yet
            return False
        if table.row_count != count:
            return False
        seen.update(n for n in needles if n in data)
        return seen >= needles

    return check


async def time_bare(rows: list[tuple[str, ...]], names: list[str]) -> float:
    """Construction → populated frame of the bare app."""
    gc.collect()  # as in a fresh process: no garbage of earlier runs to collect mid-launch
    start = time.monotonic()
    app = BareApp(rows)
    frame = watch(populated(app, len(rows), names))
    async with app.run_test(headless=False, size=SIZE):
        at = await frame.wait(30)
    return at - start


async def time_app(folder: Path, names: list[str]) -> tuple[float, float]:
    """(construction → populated frame, open_records) of ClaworcApp."""
    opening = time.monotonic()
    launch = await open_records(bench_settings(folder))
    opened = time.monotonic() - opening
    gc.collect()
    start = time.monotonic()
    app = ClaworcApp(launch, environ={}, driver_class=FrameDriver)
    try:
        frame = watch(populated(app, len(names), names))
        async with app.run_test(headless=False, size=SIZE):
            at = await frame.wait(30)
    finally:
        await app.aclose()  # connecting (after the frame) is cancelled; all closed
    return at - start, opened


async def fleet_rows(folder: Path) -> list[tuple[str, ...]]:
    """The rows of the seeded fleet, by name."""
    services = await open_app_services(folder)
    try:
        return [row_of(view) for view in await services.instances.list_views()]
    finally:
        await services.aclose()


async def measure(report: Report, quick: bool, runs: int, budget: Deadline) -> None:
    count = 10 if quick else 50
    with tempfile.TemporaryDirectory(prefix="claworc-bench-") as tmp:
        folder = Path(tmp)
        async with emulator_process(folder) as emulator:
            took = await seeded(emulator, count)
            report.note(f"seeded {count} instances through InstanceService.create in {took:.1f}s")
            rows = await fleet_rows(folder)
            names = sorted(row[1] for row in rows)
            await time_bare(rows, names)  # warm-up: imports, first stylesheet parse
            await time_app(folder, names)
            bare: list[float] = []
            app: list[float] = []
            opening: list[float] = []
            for run in range(runs):
                budget.check(f"run {run + 1}/{runs}")
                order = ("bare", "app") if run % 2 == 0 else ("app", "bare")
                for which in order:
                    if which == "bare":
                        bare.append(await time_bare(rows, names))
                    else:
                        took_app, took_open = await time_app(folder, names)
                        app.append(took_app)
                        opening.append(took_open)
    pairs = [a / b for a, b in zip(app, bare, strict=True)]
    report.add("bare DataTable app, median", median(bare) * 1000, "ms", detail=f"{runs} runs")
    report.add("ClaworcApp, median", median(app) * 1000, "ms", detail=f"{runs} runs")
    report.add(
        "launch ratio (app / bare)",
        median(app) / median(bare),
        "x",
        at_most=2.0,
        detail=f"median of per-run ratios {median(pairs):.2f}x",
    )
    report.add("open_records, median", median(opening) * 1000, "ms")
    full = [a + o for a, o in zip(app, opening, strict=True)]
    report.add(
        "full launch (open + first frame)",
        median(full) * 1000,
        "ms",
        detail=f"{median(full) / median(bare):.2f}x bare",
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__ or "", argv)
    report = header("launch", args)
    runs = args.runs or (1 if args.quick else 7)
    budget = Deadline(90 if args.quick else 900)
    asyncio.run(asyncio.wait_for(measure(report, args.quick, runs, budget), budget.seconds))
    return finish(report, args)


if __name__ == "__main__":
    sys.exit(main())
