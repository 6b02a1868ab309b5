"""The steps most UI tests start with, written once: the main screen with its list loaded, the
log pane with its first lines, the settings screen with its fields filled in; and the inline
error a form shows under a field.

Each waits by predicate through the pilot (see ``tests/_support/wait.py``), so a loaded machine
only makes it slower.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.screens.settings import SettingsScreen
from claworc_tui.ui.widgets.form import FieldError
from claworc_tui.ui.widgets.instance_list import InstanceList
from claworc_tui.ui.widgets.log_pane import LogPane
from tests._support.wait import wait_for, wait_for_screen

#: How many instances the ``env`` fixture seeds (bot-alpha, bot-beta, bot-gamma).
SEEDED_ROWS = 3


async def main_screen(pilot: Pilot[Any], rows: int = SEEDED_ROWS) -> MainScreen:
    """The app's main screen (the active one), once its instance list shows ``rows`` rows.

    Args:
        pilot: The pilot of an app started with ``run_test``.
        rows: The rows to wait for (default: the seeded fleet); up to 10 s, as seeded pods
            start slowly on a loaded machine.
    """
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen), screen
    await wait_for(
        lambda: screen.instance_list.row_count == rows,
        pilot=pilot,
        timeout=10.0,
        what=f"{rows} rows listed",
    )
    return screen


async def instance_list(pilot: Pilot[Any], rows: int = SEEDED_ROWS) -> InstanceList:
    """The main screen's instance list, once it shows ``rows`` rows."""
    return (await main_screen(pilot, rows)).instance_list


async def open_settings(pilot: Pilot[Any]) -> SettingsScreen:
    """Press "," on the main screen and return the settings screen once its fields are filled.

    The screen fills every field in one pass with no await in between, so one filled field
    (the image, never empty) means all are.
    """
    await pilot.press("comma")
    screen = await wait_for_screen(pilot, SettingsScreen)
    image = screen.query_one("#image", Input)
    await wait_for(lambda: image.value != "", pilot=pilot, what="settings loaded")
    return screen


async def open_logs(pilot: Pilot[Any]) -> tuple[MainScreen, LogPane]:
    """Wait for the list, press l, wait for the first lines."""
    screen = await main_screen(pilot)
    await pilot.press("l")
    pane = screen.log_pane
    await wait_for(lambda: len(pane.buffered) >= 2, pilot=pilot, what="first log lines")
    return screen, pane


def error_text(screen: object, field: str) -> str:
    """The inline error shown under ``field`` of a form screen ('' when hidden)."""
    widget = screen.query_one(f"#{field}-error", FieldError)  # type: ignore[attr-defined]
    return str(widget.render()) if widget.display else ""
