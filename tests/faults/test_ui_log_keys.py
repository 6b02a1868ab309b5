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

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.app import ClaworcApp
from claworc_tui.services import Services
from claworc_tui.services.views import LogStreamState
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.widgets.log_pane import LogPane
from tests._support.wait import wait_for
from tests.ui.conftest import all_running
from tests.ui.harness import fixed_now, opened, running_emulator, seed, settings_for

NS = "claworc"


@pytest.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[tuple[Services, EmulatorServer]]:
    async with running_emulator() as emulator, opened(settings_for(tmp_path, emulator)) as services:
        await seed(services, "Alpha")
        await wait_for(lambda: all_running(services, 1), timeout=10, what="Alpha running")
        yield services, emulator


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
        await wait_for(
            lambda: screen.instance_list.row_count == 1, pilot=pilot, timeout=10, what="the list"
        )
        await pilot.press("l")
        pane = screen.log_pane
        await wait_for(
            lambda: pane.state is LogStreamState.LIVE, pilot=pilot, timeout=10, what="the follow"
        )
        pod = next(
            p["metadata"]["name"]
            for p in emulator.objects("pods", NS)
            if p["metadata"]["labels"].get("app") == "bot-alpha"
        )
        writer = asyncio.create_task(stream(emulator, pod))
        try:
            await wait_for(
                lambda: pane.view.max_scroll_y > 40,
                pilot=pilot,
                timeout=10,
                what="a screen of lines",
            )
            await pilot.press("g")
            await wait_for(
                lambda: pane.unseen > 0, pilot=pilot, timeout=5, what="the pane to pause"
            )
            await pilot.press(key)
            await pilot.pause(1.0)
        finally:
            writer.cancel()
    return pane


@pytest.mark.slow
@pytest.mark.parametrize("key", ["G", "end"], ids=["shift_g", "end"])
async def test_the_key_resumes_following_while_lines_stream(
    key: str, fleet: tuple[Services, EmulatorServer]
) -> None:
    pane = await paused_then(key, fleet)
    assert pane.unseen == 0
