"""Cancelling a create half way: the service rolls back, the modal says so, nothing is left."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.widgets import Input

from claworc_tui.services.views import StepState
from claworc_tui.ui.screens.create import CreateInstanceModal
from claworc_tui.ui.screens.progress import Outcome, ProgressModal
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env
from tests.ui.harness import opened, running_emulator, settings_for


@pytest.fixture
async def slow_env(tmp_path: Path) -> AsyncIterator[Env]:
    """An empty fleet on an emulator that takes 0.3 s per request."""
    async with (
        running_emulator(latency=0.3) as emulator,
        opened(settings_for(tmp_path, emulator)) as services,
    ):
        yield Env(services, emulator, tmp_path)


async def test_cancel_during_create_rolls_back(slow_env: Env) -> None:
    env = slow_env
    app = env.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await wait_for_screen(pilot, CreateInstanceModal)
        app.screen.query_one("#display_name", Input).value = "Doomed"
        await pilot.press("ctrl+s")
        progress = await wait_for_screen(pilot, ProgressModal, timeout=10)
        assert isinstance(progress, ProgressModal)
        await wait_for(
            lambda: any(row.state is StepState.DONE for row in progress._rows.values()),
            pilot=pilot,
            timeout=15,
            what="a first step done",
        )
        await pilot.press("escape")
        await wait_for(
            lambda: progress.outcome is not None, pilot=pilot, timeout=20, what="rollback"
        )
        assert progress.outcome == Outcome.CANCELLED
        assert "rolled back" in str(progress.query_one("#progress-result").render())
        await pilot.press("escape")
        assert await env.names() == []
        leftovers = [
            o["metadata"]["name"]
            for kind in ("persistentvolumeclaims", "secrets", "configmaps", "services")
            for o in env.emulator.objects(kind, "claworc")
            if o["metadata"]["name"].startswith("bot-doomed")
        ]
        assert leftovers == []
