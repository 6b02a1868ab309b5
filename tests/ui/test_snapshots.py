"""SVG snapshots of every view, stored in the top-level ``snapshots/test_snapshots/``.

Deterministic: the clock is fixed (before any record, so ages read 0s), the terminal size is
fixed, cursors do not blink, and the emulator's name suffixes come from a seeded ``random``.
Update with ``pytest tests/ui/test_snapshots.py --snapshot-update`` after reading the diff.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.widgets.form import FieldError
from tests._support.wait import wait_for
from tests.ui.conftest import Env, SnapCompare
from tests.ui.steps import main_screen, open_create_form, open_settings


@pytest.fixture(autouse=True)
def seeded_random() -> None:
    """The emulator names pods with ``random``: seed it so names repeat between runs."""
    random.seed(20250115)


async def listed(pilot: Pilot[Any]) -> None:
    """Wait until the list shows the three seeded instances."""
    screen = await main_screen(pilot)
    await wait_for(
        lambda: str(screen.query_one("#header-connection").render()) == "● live", pilot=pilot
    )


class TestMainScreen:
    async def test_main_80x24(self, env: Env, snap_compare: SnapCompare) -> None:
        assert await snap_compare(env.app(), terminal_size=(80, 24), run_before=listed)

    async def test_main_160x45_with_logs(self, env: Env, snap_compare: SnapCompare) -> None:
        # The log pane is open so the detail's events (which name PVCs by their random uid)
        # stay below the fold: the emulator's uids are not seedable yet.
        async def ready(pilot: Pilot[Any]) -> None:
            await listed(pilot)
            screen = pilot.app.screen
            assert isinstance(screen, MainScreen)
            await wait_for(lambda: screen.detail.details is not None, pilot=pilot)
            await pilot.press("l")
            await wait_for(lambda: len(screen.log_pane.view.lines) >= 3, pilot=pilot)
            screen.instance_list.focus()

        assert await snap_compare(env.app(), terminal_size=(160, 45), run_before=ready)

    async def test_filter_and_marks(self, env: Env, snap_compare: SnapCompare) -> None:
        assert await snap_compare(
            env.app(),
            terminal_size=(80, 24),
            run_before=listed,
            press=["space", "space", "slash", "a", "enter"],
        )


class TestDetail:
    async def test_detail_80x24(self, env: Env, snap_compare: SnapCompare) -> None:
        async def detail(pilot: Pilot[Any]) -> None:
            await listed(pilot)
            await pilot.press("j", "enter")
            screen = pilot.app.screen
            assert isinstance(screen, MainScreen)
            await wait_for(lambda: screen.detail.details is not None, pilot=pilot)

        assert await snap_compare(env.app(), terminal_size=(80, 24), run_before=detail)


class TestHelp:
    async def test_help(self, env: Env, snap_compare: SnapCompare) -> None:
        assert await snap_compare(
            env.app(), terminal_size=(100, 45), run_before=listed, press=["question_mark"]
        )


class TestCreate:
    async def test_create_with_errors(self, env: Env, snap_compare: SnapCompare) -> None:
        async def errors(pilot: Pilot[Any]) -> None:
            await listed(pilot)
            modal = await open_create_form(pilot)
            modal.query_one("#display_name", Input).value = "Alpha"
            modal.query_one("#memory_request", Input).value = "8Gi"
            await pilot.press("ctrl+s")
            await wait_for(
                lambda: all(
                    modal.query_one(f"#{f}-error", FieldError).display
                    for f in ("display_name", "resources")
                ),
                pilot=pilot,
            )

        assert await snap_compare(env.app(), terminal_size=(100, 40), run_before=errors)


class TestDelete:
    async def test_delete_confirm(self, env: Env, snap_compare: SnapCompare) -> None:
        async def confirm(pilot: Pilot[Any]) -> None:
            await listed(pilot)
            await pilot.press("j", "D")
            await wait_for(
                lambda: pilot.app.screen.id is None and len(pilot.app.screen_stack) == 2,
                pilot=pilot,
            )
            await pilot.press(*"bot-b")

        assert await snap_compare(env.app(), terminal_size=(100, 40), run_before=confirm)


class TestSettings:
    async def test_settings(self, env: Env, snap_compare: SnapCompare) -> None:
        async def opened(pilot: Pilot[Any]) -> None:
            await listed(pilot)
            await open_settings(pilot)

        assert await snap_compare(env.app(), terminal_size=(100, 45), run_before=opened)


class TestLogs:
    async def test_logs_narrow(self, env: Env, snap_compare: SnapCompare) -> None:
        async def logs(pilot: Pilot[Any]) -> None:
            await listed(pilot)
            await pilot.press("l")
            screen = pilot.app.screen
            assert isinstance(screen, MainScreen)
            await wait_for(lambda: len(screen.log_pane.view.lines) >= 3, pilot=pilot)
            await pilot.press("slash", *"ready", "enter")

        assert await snap_compare(env.app(), terminal_size=(80, 24), run_before=logs)
