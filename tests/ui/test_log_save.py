"""Saving logs from the log pane: private new files, links never followed, replace after asking."""

from __future__ import annotations

import stat
from pathlib import Path

from textual.widgets import Input

from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.main import MainScreen
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env
from tests.ui.steps import open_logs


async def test_saving_onto_a_link_asks_and_never_writes_through_it(
    env: Env, tmp_path: Path, isolated_home: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    victim.chmod(0o600)
    link = tmp_path / "saved.log"
    link.symlink_to(victim)
    app = env.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_logs(pilot)
        await pilot.press("ctrl+s")
        await wait_for(lambda: not isinstance(app.screen, MainScreen), pilot=pilot)
        field = app.screen.query_one(Input)
        default = Path(field.value)
        assert default.parent == isolated_home / ".local/state/claworc-tui/logs"
        # Onto the link: asked first; "no" leaves the link and its target alone.
        field.value = str(link)
        await pilot.press("enter")
        await wait_for_screen(pilot, ConfirmModal, what="asked")
        await pilot.press("n")
        await wait_for_screen(pilot, MainScreen)
        await pilot.pause(0.2)
        assert link.is_symlink()
        assert victim.read_text() == "precious\n"
        # "Yes" replaces the link itself with a new private file.
        await pilot.press("ctrl+s")
        await wait_for(lambda: not isinstance(app.screen, MainScreen), pilot=pilot)
        app.screen.query_one(Input).value = str(link)
        await pilot.press("enter")
        await wait_for_screen(pilot, ConfirmModal, what="asked")
        await pilot.press("y")
        await wait_for(lambda: not link.is_symlink(), pilot=pilot, what="link replaced")
        assert victim.read_text() == "precious\n"
        assert "moltbot is ready" in link.read_text()
        assert stat.S_IMODE(link.stat().st_mode) == 0o600
        # The default: a new 0600 file in a 0700 folder.
        await pilot.press("ctrl+s")
        await wait_for(lambda: not isinstance(app.screen, MainScreen), pilot=pilot)
        default = Path(app.screen.query_one(Input).value)
        await pilot.press("enter")
        await wait_for(default.exists, pilot=pilot, what="default file written")
        assert stat.S_IMODE(default.stat().st_mode) == 0o600
        assert stat.S_IMODE(default.parent.stat().st_mode) == 0o700
