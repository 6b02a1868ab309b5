"""Figures, statistics and the command line shared by every benchmark.

A benchmark collects :class:`Figure` objects into a :class:`Report`, which prints them as they
come (so a slow run still shows progress) and, with ``--json``, writes them for BENCHMARKS.md.
These are measurements, not tests: a missed target is printed as ``MISS``, never raised.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Figure:
    """One measured number, with its target when the issue sets one."""

    name: str
    value: float
    unit: str
    target: str | None = None
    """The target as written in the issue (``<= 2.0``), or None for context figures."""
    ok: bool | None = None
    detail: str = ""

    def line(self) -> str:
        """The figure as one printed line."""
        value = fmt(self.value)
        verdict = "" if self.ok is None else ("  OK" if self.ok else "  MISS")
        target = f"  (target {self.target})" if self.target else ""
        detail = f"  [{self.detail}]" if self.detail else ""
        return f"  {self.name:<34} {value:>12} {self.unit:<8}{target}{verdict}{detail}"


@dataclass
class Report:
    """Figures of one benchmark run."""

    bench: str
    quick: bool
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self,
        name: str,
        value: float,
        unit: str,
        *,
        at_most: float | None = None,
        at_least: float | None = None,
        detail: str = "",
    ) -> Figure:
        """Record and print one figure; ``at_most``/``at_least`` give its target."""
        target: str | None = None
        ok: bool | None = None
        if at_most is not None:
            target, ok = f"<= {at_most:g} {unit}", value <= at_most
        elif at_least is not None:
            target, ok = f">= {at_least:g} {unit}", value >= at_least
        figure = Figure(name, value, unit, target, ok, detail)
        self.figures.append(figure)
        print(figure.line(), file=sys.__stdout__, flush=True)
        return figure

    def note(self, text: str) -> None:
        """Record and print a remark (what was measured, how)."""
        self.notes.append(text)
        print(f"  · {text}", file=sys.__stdout__, flush=True)

    def write(self, path: Path | None) -> None:
        """Write the figures as JSON (for BENCHMARKS.md)."""
        if path is None:
            return
        doc = {
            "bench": self.bench,
            "quick": self.quick,
            "machine": machine(),
            "figures": [asdict(f) for f in self.figures],
            "notes": self.notes,
        }
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def fmt(value: float) -> str:
    """A number with as many digits as it deserves."""
    if abs(value) >= 1000 or value == int(value):
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def median(values: Sequence[float]) -> float:
    """The median (0 for no values)."""
    return statistics.median(values) if values else 0.0


def p95(values: Sequence[float]) -> float:
    """The 95th percentile, nearest rank (the value 95 % of samples are at or below)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB, from /proc."""
    current = peak = 0.0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return current, peak


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    memory = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        memory = subprocess.run(
            ["free", "-h"], capture_output=True, text=True, timeout=5, check=False
        ).stdout.strip()
    return {
        "nproc": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "free -h": memory,
    }


def parse_args(description: str, argv: list[str] | None = None) -> argparse.Namespace:
    """The options every benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, one run: proves the script works"
    )
    parser.add_argument("--runs", type=int, default=None, help="repetitions (default per bench)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    return parser.parse_args(argv)


class Deadline:
    """A wall-clock budget for a whole benchmark: every wait loop checks it."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        self.seconds = seconds

    def left(self) -> float:
        """Seconds left (never below zero)."""
        return max(0.0, self.end - time.monotonic())

    def check(self, what: str) -> None:
        """Stop the benchmark when the budget is spent."""
        if time.monotonic() > self.end:
            raise TimeoutError(f"benchmark budget of {self.seconds:.0f}s spent while {what}")


def header(name: str, args: argparse.Namespace) -> Report:
    """Print what runs where, and start the report."""
    info = machine()
    mode = "quick" if args.quick else "full"
    print(
        f"{name} ({mode}) — {info['nproc']} CPUs, Python {info['python']}, {info['platform']}, "
        f"load {info['load']}",
        flush=True,
    )
    return Report(name, bool(args.quick))


def finish(report: Report, args: argparse.Namespace) -> int:
    """Write the JSON if asked; the exit code is 0 whatever the figures (they are not tests)."""
    report.write(args.json)
    missed = [f.name for f in report.figures if f.ok is False]
    if missed:
        print(f"  missed: {', '.join(missed)}", flush=True)
    sys.stdout.flush()
    return 0


def run(
    report: Report, args: argparse.Namespace, work: Coroutine[Any, Any, None], seconds: float
) -> int:
    """Run ``work`` (the measuring) to its end or for ``seconds`` at most, then :func:`finish`."""
    asyncio.run(asyncio.wait_for(work, seconds))
    return finish(report, args)
