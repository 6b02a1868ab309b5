"""Every benchmark runs once in its quick mode: the scripts keep working (their figures are not
judged here — they are measurements, see BENCHMARKS.md)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if not p.name.startswith("_"))


async def run_quick(script: Path, out: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        "--quick",
        "--json",
        str(out),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), 150)
    except BaseException:  # a timeout, or cancelled because another script failed
        if proc.returncode is None:
            proc.kill()
        await asyncio.shield(proc.wait())
        raise
    return proc.returncode or 0, output.decode(errors="replace")


def test_every_bench_is_found() -> None:
    names = {p.stem for p in SCRIPTS}
    assert {"launch", "status", "logs", "big_fleet", "create", "idle", "terminal"} <= names


@pytest.mark.slow
async def test_every_bench_runs_in_quick_mode(tmp_path: Path) -> None:
    # Two at a time: they are measurements of nothing here, only proof that they run.
    gate = asyncio.Semaphore(2)

    async def one(script: Path) -> tuple[Path, int, str]:
        async with gate:
            code, output = await run_quick(script, tmp_path / f"{script.stem}.json")
            return script, code, output

    # A TaskGroup: when one script fails or times out the others are cancelled (and killed).
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(s)) for s in SCRIPTS]
    results = [task.result() for task in tasks]
    for script, code, output in results:
        assert code == 0, f"{script.name} failed:\n{output}"
        doc = json.loads((tmp_path / f"{script.stem}.json").read_text())
        assert doc["quick"] is True
        if "skipped" in doc:  # the Docker bench without an engine says why, measures nothing
            assert "engine" in doc["skipped"], output
            continue
        assert doc["figures"], f"{script.name} printed no figure:\n{output}"
        for figure in doc["figures"]:
            assert figure["value"] == figure["value"], f"{script.name}: NaN in {figure}"
