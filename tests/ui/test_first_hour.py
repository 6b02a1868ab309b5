"""Issue 12, "the first hour": what a k9s/lazydocker user trips over, each at the size it showed.

Real app, real services (SQLite file + the emulator over HTTP); keys are pressed, not called.
"""

from __future__ import annotations

from textual.widgets import Input
from textual.widgets._footer import FooterKey

from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.screens.settings import SettingsScreen
from claworc_tui.ui.widgets.instance_list import InstanceList
from tests.ui.conftest import Env, wait_for


def footer_keys(app: object) -> list[tuple[str, int]]:
    """The footer's keys on screen as (description, x), those cut off on the right excluded."""
    screen = app.screen  # type: ignore[attr-defined]
    width = screen.size.width
    return [
        (key.description, key.region.x)
        for key in screen.query(FooterKey)
        if key.region.width and key.region.right <= width
    ]


async def test_footer_keeps_help_and_quit_at_80_columns(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one(InstanceList).row_count == 3)
        await wait_for(pilot, lambda: len(footer_keys(app)) > 3, what="footer drawn")
        shown = [description for description, _ in footer_keys(app)]
        assert "Help" in shown
        assert "Quit" in shown


async def test_q_in_settings_goes_back_and_asks_about_unsaved_input(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one(InstanceList).row_count == 3)
        await pilot.press("comma")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        screen = app.screen
        image = screen.query_one("#image", Input)
        await wait_for(pilot, lambda: image.value != "", what="settings loaded")
        # Something is focused from the start, so typing goes somewhere visible.
        assert isinstance(app.focused, Input)
        # q typed into a field is a q.
        await pilot.press("q")
        assert isinstance(app.screen, SettingsScreen)
        assert app.focused.value == "q"
        app.focused.value = ""
        # Off the fields, q goes back, as esc does.
        screen.query_one("#back").focus()
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="back on q")
        assert app.is_running
        # With unsaved input, going back asks first; "n" keeps the screen and what was typed.
        await pilot.press("comma")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        screen = app.screen
        image = screen.query_one("#image", Input)
        await wait_for(pilot, lambda: image.value != "", what="settings loaded")
        image.value = "example.com/bot:2"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="discard?")
        assert "Discard 1 unsaved change?" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen)
        assert image.value == "example.com/bot:2"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="discard?")
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert (await env.services.instances.get_settings()).image != "example.com/bot:2"
