"""``claworc-tui ls`` tells the truth: the live status, or a message and exit 1.

Before, ``ls`` printed the records before the pod list came back (every instance "Pending 0/0"),
and the same table with exit 0 when the API server could not be reached.
"""

from __future__ import annotations

import asyncio
import json

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.crypto.sealing import new_key
from tests.faults.cli_proc import spawn

KEY = new_key().decode()


async def cli(config: Settings, *args: str) -> tuple[int, str, str]:
    proc = await spawn(config, KEY, *args)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def running_fleet(config: Settings, emulator: EmulatorServer) -> None:
    for name in ("Alpha", "Beta"):
        code, _, err = await cli(config, "create", name)
        assert code == 0, err
    for _ in range(200):
        pods = emulator.objects("pods", config.namespace)
        if len(pods) == 2 and all(p["status"].get("phase") == "Running" for p in pods):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the seeded pods did not come up")


async def test_ls_prints_the_live_status(config: Settings, emulator: EmulatorServer) -> None:
    await running_fleet(config, emulator)
    code, out, err = await cli(config, "ls")
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()[1:]]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("bot-alpha", "Running", "1/1"),
        ("bot-beta", "Running", "1/1"),
    ]
    code, out, err = await cli(config, "ls", "--json")
    assert code == 0, err
    assert [(r["name"], r["status"], r["ready"]) for r in json.loads(out)] == [
        ("bot-alpha", "Running", True),
        ("bot-beta", "Running", True),
    ]


async def test_ls_with_the_cluster_unreachable_says_so_and_exits_1(
    config: Settings, emulator: EmulatorServer
) -> None:
    await running_fleet(config, emulator)
    await emulator.stop()
    for args in (("ls",), ("ls", "--json")):
        code, out, err = await cli(config, *args)
        assert code == 1, (out, err)
        assert out == ""  # no table of stale or made-up statuses
        assert "no live status" in err
