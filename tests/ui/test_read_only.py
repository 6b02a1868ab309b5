"""Read-only mode (--read-only, or RBAC that forbids writes): actions disabled with the reason."""

from __future__ import annotations

from textual.command import Provider

from claworc_tui.ui.commands import InstanceCommands
from claworc_tui.ui.screens.help import HelpModal
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.widgets.app_header import AppHeader
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env


async def test_write_keys_do_nothing_and_say_why(read_only_env: Env) -> None:
    env = read_only_env
    async with env.started(size=(120, 40), message_hook=env.hook) as (app, pilot, screen):
        badge = screen.query_one(AppHeader).query_one("#header-read-only")
        assert badge.display
        assert screen.check_action("delete", ()) is None  # greyed out in the footer
        for key in ("n", "s", "x", "r", "D", "e"):
            await pilot.press(key)
            assert isinstance(app.screen, MainScreen), key
        await wait_for(lambda: sum("--read-only" in t for t in env.toasts()) >= 6, pilot=pilot)
        views = {v.name: v for v in await env.services.instances.list_views()}
        assert all(v.instance.status == "running" for v in views.values())
        await pilot.press("question_mark")
        await wait_for_screen(pilot, HelpModal)
        text = "\n".join(str(s.render()) for s in app.screen.query(".help-section"))
        assert "Delete (disabled)" in text
        note = str(app.screen.query_one(".help-note").render())
        assert "--read-only" in note


async def test_reading_still_works(read_only_env: Env) -> None:
    env = read_only_env
    async with env.started(size=(120, 40)) as (_, pilot, screen):
        await pilot.press("l")
        await wait_for(lambda: len(screen.log_pane.buffered) >= 1, pilot=pilot, what="logs")
        await pilot.press("escape", "a")
        await wait_for(lambda: len(screen.activity_pane.entries) > 0, pilot=pilot, what="activity")


#: How the palette's writing commands begin (ui/commands.py); none is offered in read-only mode.
WRITING = ("new instance", "start ", "stop ", "restart ", "delete ", "edit config", "clone ")
WRITING_TOO = ("redeploy ", "make ", "expose ")


async def _palette(provider: Provider, query: str) -> list[str]:
    """The texts the palette lists for ``query`` ('' is what it shows before a key is typed)."""
    hits = provider.search(query) if query else provider.discover()
    return [str(hit.text) async for hit in hits]


async def test_the_palette_offers_no_command_that_writes(read_only_env: Env) -> None:
    async with read_only_env.started(size=(120, 40)) as (_app, _pilot, screen):
        provider = InstanceCommands(screen)
        for query in ("", "n", "bot-beta"):
            offered = await _palette(provider, query)
            writing = [t for t in offered if t.startswith((*WRITING, *WRITING_TOO))]
            assert offered, query
            assert not writing, (query, writing)
        assert "open settings" in await _palette(provider, "")
        assert "show logs of bot-beta" in await _palette(provider, "bot-beta")
