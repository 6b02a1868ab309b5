"""``f`` fills the screen with a bottom pane (logs, activity) and goes back; escape leaves full
screen before it leaves the pane."""

from __future__ import annotations

import pytest

from tests._support.wait import wait_for
from tests.ui.conftest import Env
from tests.ui.steps import main_screen


@pytest.mark.parametrize(("key", "pane"), [("l", "logs"), ("a", "activity")])
async def test_f_fills_the_screen_and_escape_leaves_full_screen_first(
    env: Env, key: str, pane: str
) -> None:
    app = env.app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await main_screen(pilot)
        await pilot.press(key)
        await wait_for(lambda: screen.bottom == pane, pilot=pilot, what=f"{pane} shown")
        bottom = screen.log_pane if pane == "logs" else screen.activity_pane
        inner = bottom.focus_widget
        await wait_for(lambda: inner.has_focus, pilot=pilot, what="the pane has the focus")
        await pilot.press("f")
        await wait_for(lambda: screen.maximized is bottom, pilot=pilot, what="full screen")
        assert inner.has_focus
        await pilot.press("f")  # f again goes back
        await wait_for(lambda: screen.maximized is None, pilot=pilot, what="back from f")
        assert inner.has_focus
        await pilot.press("f", "escape")  # escape leaves full screen, the pane stays
        await wait_for(lambda: screen.maximized is None, pilot=pilot, what="back from escape")
        assert inner.has_focus
        assert screen.bottom == pane
        await pilot.press("escape")  # then it hands the focus back to the list
        await wait_for(lambda: screen.instance_list.has_focus, pilot=pilot, what="list focused")
