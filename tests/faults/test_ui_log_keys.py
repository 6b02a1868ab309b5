"""End (and G) in the log pane while a pod keeps logging must resume following.

Found by ``bench/logs.py``: the focused ``LogView`` inherited ScrollView's own ``home``/``end``
bindings, which won over the pane's. Those scrolled with an animation aimed at the end as it was
when the key came; lines arriving meanwhile moved the end, so the view stopped short and the pane
stayed paused with its "N new lines" climbing. Fixed in 7e86ff2 (End and Home jump at once).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from claworc_emulator import EmulatorServer
from claworc_tui.app import ClaworcApp
from claworc_tui.services import Services
from claworc_tui.services.views import LogStreamState
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.widgets.log_pane import LogPane
from tests.ui.conftest import all_running
from tests.ui.harness import fixed_now, opened, running_emulator, seed, settings_for

NS = "claworc"


@pytest.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[tuple[Services, EmulatorServer]]:
    async with running_emulator() as emulator, opened(settings_for(tmp_path, emulator)) as services:
        await seed(services, "Alpha")
        deadline = asyncio.get_running_loop().time() + 10
        while not await all_running(services, 1):
            assert asyncio.get_running_loop().time() < deadline, "Alpha did not come up"
            await asyncio.sleep(0.05)
        yield services, emulator


async def until(pilot: Pilot[Any], predicate: Any, within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out after {within}s waiting for {what}")
        await pilot.pause(0.02)


async def stream(emulator: EmulatorServer, pod: str) -> None:
    """About 150 lines a second, steadily (bounded: 30 s at most)."""
    for i in range(4500):
        emulator.append_log(NS, pod, [f"tick {i}"])
        await asyncio.sleep(0.005)


async def paused_then(key: str, fleet: tuple[Services, EmulatorServer]) -> LogPane:
    """Open the logs while a pod streams, scroll to the top, press ``key``; return the pane
    one second later (the stream still running)."""
    services, emulator = fleet
    app = ClaworcApp(services, now=fixed_now, environ={}, cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await until(pilot, lambda: screen.instance_list.row_count == 1, 10, "the list")
        await pilot.press("l")
        pane = screen.log_pane
        await until(pilot, lambda: pane.state is LogStreamState.LIVE, 10, "the follow")
        pod = next(
            p["metadata"]["name"]
            for p in emulator.objects("pods", NS)
            if p["metadata"]["labels"].get("app") == "bot-alpha"
        )
        writer = asyncio.create_task(stream(emulator, pod))
        try:
            await until(pilot, lambda: pane.view.max_scroll_y > 40, 10, "a screen of lines")
            await pilot.press("g")
            await until(pilot, lambda: pane.unseen > 0, 5, "the pane to pause")
            await pilot.press(key)
            await pilot.pause(1.0)
        finally:
            writer.cancel()
    return pane


@pytest.mark.slow
async def test_shift_g_resumes_following_while_lines_stream(
    fleet: tuple[Services, EmulatorServer],
) -> None:
    pane = await paused_then("G", fleet)
    assert pane.unseen == 0


@pytest.mark.slow
async def test_end_resumes_following_while_lines_stream(
    fleet: tuple[Services, EmulatorServer],
) -> None:
    pane = await paused_then("end", fleet)
    assert pane.unseen == 0
