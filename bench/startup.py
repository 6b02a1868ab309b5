"""What a start costs before anything is on screen: imports, and API requests until live status.

    .venv/bin/python bench/startup.py [--quick] [--runs N] [--json FILE]

* **Imports** of the start path, as ``claworc-tui`` runs it (``claworc_tui.cli.main``,
  ``claworc_tui.app``, and the parser of every subcommand reading the app's flags), with the
  collector off as ``__main__`` has it: ``python -X importtime`` in a fresh interpreter N times
  (default 7), each module's self time taken as its minimum over the runs (the least disturbed);
  the number of modules, their sum, and the packages that weigh most. Run it from another
  checkout (``cd OTHER && python THIS/bench/startup.py``) to compare trees; compile their
  bytecode first on both (``python -m compileall -q claworc_tui``), or the first run pays it.
* **API requests at start-up**: the app on a pty (``_pty.py``) against the emulator child with
  50 seeded instances, from launch until every visible row says Running plus 3 s, counted by
  the emulator, on 3 starts; the kinds of the last start are listed.
"""

from __future__ import annotations

import asyncio
import collections
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from _fleet import emulator_process, seeded
from _pty import launch, names_on
from _report import Report, header, parse_args, run

START_PATH = (
    "import gc; gc.disable(); import claworc_tui.cli.main, claworc_tui.app; "
    "from claworc_tui.cli.args import build_parser; build_parser().parse_args([])"
)
_LINE = re.compile(r"import time:\s+(\d+) \|\s+\d+ \| \s*(\S+)")
#: Packages reported on their own line (with what they bring); the rest by top-level name.
GROUPS = {
    "pydantic": "pydantic",
    "pydantic_core": "pydantic",
    "pydantic_settings": "pydantic",
    "annotated_types": "pydantic",
    "typing_inspection": "pydantic",
    "dotenv": "pydantic",
    "aiohttp": "aiohttp + kubernetes_asyncio",
    "multidict": "aiohttp + kubernetes_asyncio",
    "yarl": "aiohttp + kubernetes_asyncio",
    "frozenlist": "aiohttp + kubernetes_asyncio",
    "propcache": "aiohttp + kubernetes_asyncio",
    "aiosignal": "aiohttp + kubernetes_asyncio",
    "aiohappyeyeballs": "aiohttp + kubernetes_asyncio",
    "kubernetes_asyncio": "aiohttp + kubernetes_asyncio",
    "urllib3": "aiohttp + kubernetes_asyncio",
    "yaml": "aiohttp + kubernetes_asyncio",
}


def import_times(runs: int) -> dict[str, int]:
    """Each module of the start path with its least self time (µs) over ``runs`` runs."""
    least: dict[str, int] = {}
    for _ in range(runs):
        err = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", START_PATH],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        for match in _LINE.finditer(err):
            name, micros = match.group(2), int(match.group(1))
            least[name] = min(least.get(name, micros), micros)
    return least


def measure_imports(report: Report, runs: int) -> None:
    least = import_times(runs)
    report.add("modules imported before the first frame", len(least), "modules")
    report.add(
        "import time, sum of self times", sum(least.values()) / 1000, "ms", detail=f"min of {runs}"
    )
    weight: collections.Counter[str] = collections.Counter()
    for name, micros in least.items():
        top = name.split(".")[0]
        weight[GROUPS.get(top, top)] += micros
    for group in ("claworc_tui", "textual", "pydantic", "rich", "aiohttp + kubernetes_asyncio"):
        report.add(f"  of which {group}", weight[group] / 1000, "ms")


async def measure_requests(report: Report, count: int, starts: int) -> None:
    with tempfile.TemporaryDirectory(prefix="claworc-bench-") as tmp:
        folder = Path(tmp)
        async with emulator_process(folder) as emulator:
            await seeded(emulator, count)
            names = sorted(await emulator.call("pods"))
            visible = None
            totals: list[int] = []
            kinds: collections.Counter[str] = collections.Counter()
            for _ in range(starts):
                since: int = await emulator.call("request_count")
                term, _ = await launch(folder, names, visible)
                visible = visible or names_on(term.text(), names)
                await asyncio.sleep(3)
                calls = await emulator.call("requests", since=since)
                await term.close()
                totals.append(len(calls))
                kinds = collections.Counter(
                    f"{method} {path.split('?')[0]}{' (watch)' if 'watch=' in str(query) else ''}"
                    for method, path, query, *_ in calls
                )
    report.add(
        f"API requests from launch to live status, {count} instances",
        max(totals),
        "requests",
        detail=f"{starts} starts: {', '.join(map(str, totals))}",
    )
    for kind, n in sorted(kinds.items()):
        report.note(f"{n}× {kind}")


async def measure(report: Report, runs: int, count: int, starts: int) -> None:
    measure_imports(report, runs)
    await measure_requests(report, count, starts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__ or "", argv)
    report = header("startup", args)
    runs = 1 if args.quick else int(args.runs or 7)
    count, starts = (5, 1) if args.quick else (50, 3)
    return run(report, args, measure(report, runs, count, starts), 300)


if __name__ == "__main__":
    sys.exit(main())
