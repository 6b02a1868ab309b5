"""The app in a real pseudo-terminal: what a user on a terminal (or over SSH) gets.

    .venv/bin/python bench/terminal.py [--quick] [--runs N] [--idle-seconds S] [--json FILE]
                                       [--flood-only] [--sync]
    .venv/bin/python bench/terminal.py --launch-only [--runs N]    # the launch figures alone

The other benchmarks run the app in-process with frames rendered to nowhere; they cannot see what
a terminal pays for. Here ``claworc-tui`` runs as its own process on a pty (160x45, TERM
xterm-256color), exactly as a user starts it, against the emulator child (``_fleet.py``) with 50
seeded instances. Everything it writes is read from the pty's master side, counted, and fed to
``pyte`` (a VT100/xterm screen emulator), so "on screen" means what a terminal would show.

Per run (runs alternate nothing: there is no peer here; medians over the runs):

* **launch**: process start → first byte written; → the list shows every name that fits on the
  screen (``list drawn``); → each of those rows says ``Running`` (``live status``). CPU of the
  app process up to ``list drawn`` (``/proc/PID/stat``).
* **idle**: after a 5 s settle, bytes written to the terminal over ``--idle-seconds`` (default 30),
  scaled to bytes per minute; RSS (``VmRSS``) at the end of it.
* **log flood** (``l`` on the first instance): the emulator child appends N lines (200 000; 20 000
  with ``--quick``) as fast as it can. *Throughput*: from the first write to the frame showing the
  last line (the pane follows), lines per second. *Keys*: a second flood while ``g`` (top, pauses)
  and ``G`` (follow) alternate every 100–150 ms, sent as bytes on the pty; a key's latency runs
  to the first screen in the state it asks for (the pane's "End to follow" hint shown / gone).
  RSS after the floods. During that second flood: bytes written to the terminal per second,
  frames per second and bytes per frame (frames are counted with ``--sync``), app CPU per 1 000
  lines — figures that do not depend on how loaded the machine is as much as latencies do.

``--flood-only`` skips the idle window (launch and the floods only). ``--sync`` answers the app's
query for synchronized output (``CSI ? 2026 $ p``) as kitty, WezTerm, iTerm2, foot, Windows
Terminal and tmux ≥ 3.4 do: Textual then wraps every frame in ``CSI ? 2026 h`` … ``l``, which
lets the harness count frames exactly (without it, it counts only bytes).

The load average is printed with every run: on a busy 2-core machine latencies grow a lot.
``--launch-only``: the launch alone, N times on one fleet; to compare trees, ``cd OTHER && python
THIS/bench/terminal.py --launch-only`` (the app is ``python -m claworc_tui`` from there).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from _fleet import EmulatorProcess, emulator_process, seeded
from _pty import COLS, ROWS, Run, Terminal, launch, names_on
from _report import Deadline, Report, finish, header, median, p95

TEMPLATE = "2025-01-15T12:00:00.000Z INFO gateway: request {i:06d} served path=/v1/messages ok 3ms"
#: The log pane's hint while paused (scrolled away from the end).
PAUSED = re.compile(r"End to follow")


async def idle(term: Terminal, run: Run, seconds: float) -> None:
    await asyncio.sleep(5)
    before = term.bytes
    await asyncio.sleep(seconds)
    run.idle_bytes_per_min = (term.bytes - before) * 60 / seconds
    run.idle_rss = term.rss_mb()


async def flood(
    term: Terminal,
    emulator: EmulatorProcess,
    pod: str,
    total: int,
    run: Run,
    budget: Deadline,
    profile: Path | None = None,
) -> None:
    term.send(b"l")
    await asyncio.sleep(2)
    last = f"request {total - 1:06d}"
    started, _ = await emulator.call(
        "generate_logs", pod=pod, count=total, template=TEMPLATE, answer_within=budget.left()
    )
    shown = await term.wait(lambda t: last in t, budget.left(), "the last line")
    run.rate = total / (shown - started)
    # Second flood, keys meanwhile.
    done = asyncio.Event()
    rng = random.Random(7)

    async def keys() -> None:
        to_top = True
        while not done.is_set():
            if to_top:
                sent = term.send(b"g")
                at = await term.wait(lambda t: bool(PAUSED.search(t)), 10, "the paused hint")
            else:
                sent = term.send(b"G")
                at = await term.wait(lambda t: not PAUSED.search(t), 10, "following again")
            run.keys.append((at - sent) * 1000)
            to_top = not to_top
            await asyncio.sleep(0.1 + 0.05 * rng.random())

    presser = asyncio.create_task(keys())
    spy = None
    if profile is not None:  # py-spy (not a dependency: pip install py-spy) samples the app
        spy = await asyncio.create_subprocess_exec(
            *("py-spy", "record", "--nonblocking", "--format", "raw", "--rate", "250"),
            *("--pid", str(term.pid), "--output", str(profile)),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
    await asyncio.sleep(0.3)
    bytes0, frames0, cpu0, t0 = term.bytes, term.frames, term.cpu_seconds(), time.monotonic()
    await emulator.call(
        "generate_logs", pod=pod, count=total, template=TEMPLATE, answer_within=budget.left()
    )
    done.set()
    await presser
    last = f"request {total - 1:06d}"
    with contextlib.suppress(TimeoutError):  # paused at the top by the last g: press End
        term.send(b"G")
        await term.wait(lambda t: last in t, 10, "the last line")
    run.flood_seconds = time.monotonic() - t0
    run.flood_bytes = term.bytes - bytes0
    run.flood_frames = term.frames - frames0
    run.flood_cpu = term.cpu_seconds() - cpu0
    if spy is not None:
        spy.send_signal(2)  # SIGINT: py-spy writes its samples and exits
        await spy.wait()
    run.flood_rss = term.rss_mb()


async def measure_launch(report: Report, runs: int) -> None:
    """Only the launch: ``runs`` starts on one seeded fleet of 50 (after a warm-up start)."""
    results: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="claworc-bench-") as tmp:
        folder = Path(tmp)
        async with emulator_process(folder) as emulator:
            took = await seeded(emulator, 50)
            report.note(f"seeded 50 instances through InstanceService.create in {took:.1f}s")
            pods: dict[str, str] = await emulator.call("pods")
            names = sorted(pods)
            term, _ = await launch(folder, names, None)
            visible = names_on(term.text(), names)
            await term.close()
            for index in range(runs):
                term, run = await launch(folder, names, visible)
                await term.close()
                results.append(run)
                print(
                    f"  run {index + 1}: first byte {run.first_byte * 1000:.0f} ms,"
                    f" first row {run.first_name * 1000:.0f} ms,"
                    f" drawn {run.drawn * 1000:.0f} ms, live {run.live * 1000:.0f} ms,"
                    f" CPU to drawn {run.cpu:.2f} s, to live {run.cpu_live:.2f} s"
                    f" (load {run.load})",
                    flush=True,
                )
    report.add("first byte, median", median([r.first_byte for r in results]) * 1000, "ms")
    report.add(
        "launch → list drawn (50 instances), median",
        median([r.drawn for r in results]) * 1000,
        "ms",
        at_most=500,
    )
    report.add("launch → live status, median", median([r.live for r in results]) * 1000, "ms")
    report.add("CPU to list drawn, median", median([r.cpu for r in results]), "s")
    report.add("CPU to live status, median", median([r.cpu_live for r in results]), "s")


async def measure(
    report: Report,
    quick: bool,
    runs: int,
    idle_seconds: float,
    *,
    sync: bool = False,
    profile: Path | None = None,
) -> None:
    count = 10 if quick else 50
    total = 20_000 if quick else 200_000
    budget = Deadline(300 + runs * (idle_seconds + 240))
    results: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="claworc-bench-") as tmp:
        folder = Path(tmp)
        async with emulator_process(folder) as emulator:
            took = await seeded(emulator, count)
            report.note(f"seeded {count} instances through InstanceService.create in {took:.1f}s")
            pods: dict[str, str] = await emulator.call("pods")
            names = sorted(pods)
            term, _ = await launch(folder, names, None)  # warm-up: imports cached, rows counted
            visible = names_on(term.text(), names)
            await term.close()
            report.note(f"{len(visible)} of {count} rows fit on a {COLS}x{ROWS} screen")
            for index in range(runs):
                budget.check(f"run {index + 1}/{runs}")
                term, run = await launch(folder, names, visible, sync=sync)
                try:
                    if idle_seconds:
                        await idle(term, run, idle_seconds)
                    spy = None if profile is None else profile.with_suffix(f".{index + 1}.txt")
                    await flood(term, emulator, pods[names[0]], total, run, budget, spy)
                finally:
                    await term.close()
                results.append(run)
                frames = (
                    f" {run.flood_frames / run.flood_seconds:.1f} frames/s,"
                    f" {run.flood_bytes / max(1, run.flood_frames) / 1000:.1f} KB/frame,"
                    if sync  # frames are counted only then
                    else ""
                )
                print(
                    f"  run {index + 1}: drawn {run.drawn * 1000:.0f} ms,"
                    f" live {run.live * 1000:.0f} ms,"
                    f" idle {run.idle_bytes_per_min / 1000:.1f} KB/min,"
                    f" {run.rate:,.0f} lines/s, keys median {median(run.keys):.0f}"
                    f" p95 {p95(run.keys):.0f} ms ({len(run.keys)} keys);"
                    f" flood 2: {run.flood_bytes / run.flood_seconds / 1000:.0f} KB/s,{frames}"
                    f" CPU {run.flood_cpu * 1000 / (total / 1000):.1f} ms/1k lines"
                    f" (load {run.load})",
                    flush=True,
                )
    keys = [k for r in results for k in r.keys]
    report.add("first byte, median", median([r.first_byte for r in results]) * 1000, "ms")
    report.add(
        f"launch → list drawn ({count} instances), median",
        median([r.drawn for r in results]) * 1000,
        "ms",
        at_most=500,
    )
    report.add("launch → live status, median", median([r.live for r in results]) * 1000, "ms")
    report.add("CPU to list drawn, median", median([r.cpu for r in results]), "s")
    if idle_seconds:
        report.add(
            "idle bytes to the terminal per minute",
            median([r.idle_bytes_per_min for r in results]) / 1000,
            "KB/min",
            at_most=5,
            detail=f"{idle_seconds:.0f}s windows",
        )
        report.add("RSS at idle, median", median([r.idle_rss for r in results]), "MB", at_most=90)
    report.add(
        f"log flood of {total}: lines/s shown",
        median([r.rate for r in results]),
        "lines/s",
        at_least=150_000,
    )
    report.add("key latency during flood, median", median(keys), "ms")
    report.add(
        "key latency during flood, p95", p95(keys), "ms", at_most=100, detail=f"{len(keys)} keys"
    )
    report.add(
        "flood 2: bytes to the terminal per s",
        median([r.flood_bytes / r.flood_seconds for r in results]) / 1000,
        "KB/s",
    )
    if sync:
        report.add(
            "flood 2: frames per s",
            median([r.flood_frames / r.flood_seconds for r in results]),
            "frames/s",
        )
        report.add(
            "flood 2: bytes per frame",
            median([r.flood_bytes / max(1, r.flood_frames) for r in results]) / 1000,
            "KB",
        )
    report.add(
        "flood 2: app CPU per 1 000 lines",
        median([r.flood_cpu * 1000 / (total / 1000) for r in results]),
        "ms",
    )
    report.add(
        f"RSS after 2 floods of {total}, median",
        median([r.flood_rss for r in results]),
        "MB",
        at_most=120,
    )


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 instances, one short run")
    parser.add_argument("--runs", type=int, default=None, help="repetitions (default 5)")
    parser.add_argument("--idle-seconds", type=float, default=None, help="idle window (30)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--launch-only", action="store_true", help="only the launch figures")
    parser.add_argument("--flood-only", action="store_true", help="no idle window")
    parser.add_argument(
        "--sync", action="store_true", help="say the terminal has synchronized output"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="py-spy the app during the keys flood into FILE.N.txt (collapsed stacks)",
    )
    args = parser.parse_args(argv)
    report = header("terminal", args)
    runs = args.runs or (1 if args.quick else 5)
    if args.launch_only:
        asyncio.run(measure_launch(report, runs))
        return finish(report, args)
    idle_seconds = 0.0 if args.flood_only else args.idle_seconds or (3.0 if args.quick else 30.0)
    asyncio.run(
        measure(report, args.quick, runs, idle_seconds, sync=args.sync, profile=args.profile)
    )
    return finish(report, args)


if __name__ == "__main__":
    sys.exit(main())
