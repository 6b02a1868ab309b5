"""SVG snapshots of the drift screen and of the dialogs that show tones (progress, config diff),
stored in ``snapshots/test_snapshots_dialogs/``; deterministic as ``test_snapshots.py`` is.

They hold the look of text drawn in a tone (✓ in green, ✖ in red…) while those colours move from
markup into the stylesheet's component classes: the same SVG before and after.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, TextArea

from claworc_emulator.resources import BY_PLURAL
from claworc_tui.ui.screens.drift import DriftScreen
from claworc_tui.ui.screens.edit_config import EditConfigModal
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.screens.progress import ProgressModal
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env, SnapCompare
from tests.ui.steps import open_create_form, open_screen
from tests.ui.test_snapshots import listed


@pytest.fixture(autouse=True)
def seeded_random() -> None:
    """The emulator names pods with ``random``: seed it so names repeat between runs."""
    random.seed(20250115)


async def make_drift(env: Env) -> None:
    """A missing Service, a config changed in the cluster, and an orphaned ConfigMap."""
    env.emulator.api.delete(BY_PLURAL["services"], "claworc", "bot-beta-vnc", {})
    env.emulator.api.patch(
        BY_PLURAL["configmaps"],
        "claworc",
        "bot-alpha-config",
        b'{"data": {"clawdbot.json": "{\\"changed\\": true}"}}',
        "application/merge-patch+json",
    )
    labels = {"app": "bot-ghost", "managed-by": "claworc"}
    ghost = {"metadata": {"name": "bot-ghost-config", "labels": labels}, "data": {}}
    env.emulator.api.create(BY_PLURAL["configmaps"], "claworc", ghost)


async def open_drift(pilot: Pilot[Any]) -> DriftScreen:
    """Open the drift screen (``d``) and wait for the three differences of :func:`make_drift`."""
    await pilot.press("d")
    drift = await wait_for_screen(pilot, DriftScreen)
    assert isinstance(drift, DriftScreen)
    table = drift.query_one("#drift-table", DataTable)
    await wait_for(lambda: table.row_count == 3, pilot=pilot, what="three differences")
    return drift


async def drift_shown(pilot: Pilot[Any]) -> None:
    """The list, then the drift screen with its differences."""
    await listed(pilot)
    await open_drift(pilot)


class TestDrift:
    async def test_drift_80x24(self, env: Env, snap_compare: SnapCompare) -> None:
        await make_drift(env)
        assert await snap_compare(env.app(), terminal_size=(80, 24), run_before=drift_shown)

    async def test_drift_160x45(self, env: Env, snap_compare: SnapCompare) -> None:
        await make_drift(env)
        assert await snap_compare(env.app(), terminal_size=(160, 45), run_before=drift_shown)


class TestProgress:
    async def test_create_failed_and_rolled_back(self, env: Env, snap_compare: SnapCompare) -> None:
        env.emulator.inject_failure(
            "POST",
            r"/services$",
            status=403,
            reason="Forbidden",
            message="services is forbidden: quota",
        )

        async def failed(pilot: Pilot[Any]) -> None:
            await listed(pilot)
            await open_create_form(pilot)
            pilot.app.screen.query_one("#display_name", Input).value = "Doomed"
            await pilot.press("ctrl+s")
            progress = await wait_for_screen(pilot, ProgressModal, timeout=10)
            assert isinstance(progress, ProgressModal)
            await wait_for(
                lambda: progress.outcome is not None, pilot=pilot, timeout=20, what="failed"
            )
            # The list behind shows the record while it exists; the rollback removes it, and
            # the list hears of that a moment later (later still on a busy machine).
            main = pilot.app.screen_stack[0]
            assert isinstance(main, MainScreen)
            await wait_for(
                lambda: "bot-doomed" not in main.instance_list.views,
                pilot=pilot,
                what="the rolled-back record gone from the list",
            )

        assert await snap_compare(env.app(), terminal_size=(100, 40), run_before=failed)


class TestEditConfig:
    async def test_config_diff(self, env: Env, snap_compare: SnapCompare) -> None:
        async def diffed(pilot: Pilot[Any]) -> None:
            await listed(pilot)
            modal = await open_screen(pilot, EditConfigModal, "e")
            modal.query_one("#config-text", TextArea).text = '{\n  "model": "claude"\n}'
            await pilot.pause()
            await pilot.press("ctrl+d")
            await wait_for(
                lambda: "model" in str(modal.query_one("#config-diff-text").render()),
                pilot=pilot,
            )

        assert await snap_compare(env.app(), terminal_size=(100, 40), run_before=diffed)
