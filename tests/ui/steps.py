"""The steps most UI tests start with, written once: the main screen with its list loaded, the
log pane with its first lines, the drift view with its rows, the clone form, the settings screen
with its fields filled in; and the inline error a form shows under a field, the one-key fix an
OOM kill offers.

Each waits by predicate through the pilot (see ``tests/_support/wait.py``), so a loaded machine
only makes it slower.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input

from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.create import CreateInstanceModal
from claworc_tui.ui.screens.drift import DriftScreen
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.screens.settings import SettingsScreen
from claworc_tui.ui.widgets.form import FieldError
from claworc_tui.ui.widgets.instance_list import InstanceList
from claworc_tui.ui.widgets.log_pane import LogPane
from tests._support.wait import ScreenT, wait_for, wait_for_screen

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


async def open_screen(
    pilot: Pilot[Any], kind: type[ScreenT], *keys: str, rows: int = SEEDED_ROWS, what: str = ""
) -> ScreenT:
    """Once the list shows ``rows`` rows, press ``keys`` and return the ``kind`` screen they open
    (``what``: for the failure message, by default the class name)."""
    await main_screen(pilot, rows)
    await pilot.press(*keys)
    return await wait_for_screen(pilot, kind, what=what)


async def instance_list(pilot: Pilot[Any], rows: int = SEEDED_ROWS) -> InstanceList:
    """The main screen's instance list, once it shows ``rows`` rows."""
    return (await main_screen(pilot, rows)).instance_list


async def open_settings(pilot: Pilot[Any], rows: int = SEEDED_ROWS) -> SettingsScreen:
    """Once the list shows ``rows`` rows, press "," and return the settings screen, filled in.

    The screen fills every field in one pass with no await in between, so one filled field
    (the image, never empty) means all are.
    """
    screen = await open_screen(pilot, SettingsScreen, "comma", rows=rows)
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


async def accept_raise_memory_advice(screen: MainScreen) -> None:
    """Press the detail pane's "raise memory" advice and confirm it.

    The pod crash-loops meanwhile, and ``pilot.press``/``pilot.pause`` wait for every widget to
    go idle, which a crash loop never lets happen: so this waits on the event loop and presses
    the buttons directly.
    """
    app, detail = screen.app, screen.detail
    await wait_for(
        lambda: bool(detail.query("#advice-raise-memory")),
        timeout=10.0,
        what="raise-memory advice",
    )
    detail.query_one("#advice-raise-memory", Button).press()
    await wait_for(lambda: isinstance(app.screen, ConfirmModal), timeout=10.0, what="confirmation")
    await wait_for(lambda: app.screen.focused is not None, timeout=10.0, what="modal ready")
    app.screen.query_one("#confirm", Button).press()


async def open_drift(pilot: Pilot[Any], rows: int, what: str) -> DataTable[Any]:
    """Press "d" and return the drift view's table once it lists ``rows`` rows (``what``)."""
    await pilot.press("d")
    drift = await wait_for_screen(pilot, DriftScreen)
    table = drift.query_one("#drift-table", DataTable)
    await wait_for(lambda: table.row_count == rows, pilot=pilot, what=what)
    return table


async def open_clone_form(pilot: Pilot[Any]) -> CreateInstanceModal:
    """Press "N" on bot-alpha (selected first at start-up) and return the filled create form."""
    listing = pilot.app.screen.query_one(InstanceList)
    await wait_for(lambda: listing.selected_name == "bot-alpha", pilot=pilot, what="selection")
    await pilot.press("N")
    return await wait_for_screen(pilot, CreateInstanceModal, what="form")


async def open_create_form(pilot: Pilot[Any], rows: int = SEEDED_ROWS) -> CreateInstanceModal:
    """Once the list shows ``rows`` rows, press "n" and return the create form."""
    return await open_screen(pilot, CreateInstanceModal, "n", rows=rows)
