"""``claworc-tui logs`` as a real subprocess against the emulator: it prints what it is asked
for and exits, and ``-f`` keeps following across a container restart."""

from __future__ import annotations

import asyncio
import re

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from tests._support.wait import wait_for
from tests.faults.cli_proc import spawn
from tests.k8s.helpers import NS, running_pod
from tests.lifecycle.test_cli import KEY, cli

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ")


async def running(config: Settings, emulator: EmulatorServer) -> str:
    code, _, err = await cli(config, "create", "Bot Alpha")
    assert code == 0, err
    await wait_for(lambda: running_pod(emulator, "bot-alpha"), timeout=10, what="a running pod")
    pod = running_pod(emulator, "bot-alpha")
    assert pod is not None
    await wait_for(
        lambda: any(
            "ready" in line[1] for line in emulator.logs.log(NS, pod, "moltbot").instances[-1].lines
        ),
        what="start-up lines",
    )
    return pod


async def crashed(emulator: EmulatorServer, pod: str) -> None:
    """Wait for the first container to die, then let the next one live (during the back-off)."""
    await wait_for(
        lambda: emulator.logs.log(NS, pod, "moltbot").instances[0].finished, what="the crash"
    )
    emulator.heal(NS, "bot-alpha")


async def test_tail_prints_the_last_lines_and_exits(
    config: Settings, emulator: EmulatorServer
) -> None:
    pod = await running(config, emulator)
    emulator.append_log(NS, pod, [f"line {i}" for i in range(10)])
    code, out, err = await cli(config, "logs", "bot-alpha", "--tail", "3")
    assert (code, out) == (0, "line 7\nline 8\nline 9\n"), err
    code, out, err = await cli(config, "logs", "bot-alpha", "--tail", "2", "--timestamps")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert all(STAMP.match(line) for line in lines), out
    assert [STAMP.sub("", line) for line in lines] == ["line 8", "line 9"]


async def test_previous_prints_the_crashed_container(
    config: Settings, emulator: EmulatorServer
) -> None:
    emulator.config.crash_backoff = 0.3
    pod = await running(config, emulator)
    emulator.append_log(NS, pod, ["last words"])
    emulator.oom_kill(NS, "bot-alpha")
    await crashed(emulator, pod)
    code, out, err = await cli(config, "logs", "bot-alpha", "--previous", "--tail", "3")
    assert code == 0, err
    assert out.splitlines() == ["last words", "Loading configuration", "Allocating worker buffers"]


async def test_follow_goes_on_across_a_restart(config: Settings, emulator: EmulatorServer) -> None:
    emulator.config.crash_backoff = 0.3
    pod = await running(config, emulator)
    proc = await spawn(config, KEY, "logs", "bot-alpha", "-f", "--tail", "1")
    assert proc.stdout is not None
    try:

        async def line() -> str:
            assert proc.stdout is not None
            return (await asyncio.wait_for(proc.stdout.readline(), timeout=15)).decode()

        assert await line() == "moltbot is ready\n"  # the last line: the follow is live
        emulator.append_log(NS, pod, ["before"])
        assert await line() == "before\n"
        emulator.oom_kill(NS, "bot-alpha")
        await crashed(emulator, pod)
        seen = [await line() for _ in range(3)]
        while "moltbot is ready\n" not in seen:
            seen.append(await line())
        emulator.append_log(NS, pod, ["after"])
        while seen[-1] != "after\n":
            seen.append(await line())
        assert seen.count("after\n") == 1
    finally:
        proc.kill()
        await proc.wait()


async def test_a_stopped_instance_says_it_has_no_pod(
    config: Settings, emulator: EmulatorServer
) -> None:
    await running(config, emulator)
    assert (await cli(config, "stop", "bot-alpha"))[0] == 0
    await wait_for(lambda: running_pod(emulator, "bot-alpha") is None, timeout=10, what="stopped")
    await wait_for(lambda: not emulator.objects("pods", NS), timeout=10, what="the pod gone")
    code, out, err = await cli(config, "logs", "bot-alpha", "--tail", "3")
    assert (code, out) == (0, "")
    assert "the instance has no pod" in err
