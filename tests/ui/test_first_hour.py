"""Issue 12, "the first hour": what a k9s/lazydocker user trips over, each at the size it showed.

Real app, real services (SQLite file + the emulator over HTTP); keys are pressed, not called.
"""

from __future__ import annotations

import asyncio

from rich.cells import cell_len
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from claworc_emulator.resources import BY_PLURAL
from claworc_tui.ui.format import TONE_GLYPHS
from claworc_tui.ui.screens.confirm import ConfirmModal, DeleteModal
from claworc_tui.ui.screens.create import CreateInstanceModal
from claworc_tui.ui.screens.drift import DriftScreen
from claworc_tui.ui.screens.help import HelpModal
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.screens.settings import SettingsScreen
from claworc_tui.ui.widgets.instance_list import InstanceList
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env
from tests.ui.harness import seed
from tests.ui.steps import (
    instance_list,
    open_screen,
    open_settings,
)


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
    async with env.started(size=(80, 24)) as (app, pilot, _):
        await wait_for(lambda: len(footer_keys(app)) > 3, pilot=pilot, what="footer drawn")
        shown = [description for description, _ in footer_keys(app)]
        assert "Help" in shown
        assert "Quit" in shown


async def test_q_in_settings_goes_back_and_asks_about_unsaved_input(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_settings(pilot)
        image = screen.query_one("#image", Input)
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
        await wait_for_screen(pilot, MainScreen, what="back on q")
        assert app.is_running
        # With unsaved input, going back asks first; "n" keeps the screen and what was typed.
        screen = await open_settings(pilot)
        image = screen.query_one("#image", Input)
        image.value = "example.com/bot:2"
        await pilot.press("escape")
        await wait_for_screen(pilot, ConfirmModal, what="discard?")
        assert "Discard 1 unsaved change?" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press("n")
        await wait_for(lambda: app.screen is screen, pilot=pilot)
        assert image.value == "example.com/bot:2"
        await pilot.press("escape")
        await wait_for_screen(pilot, ConfirmModal, what="discard?")
        await pilot.press("y")
        await wait_for_screen(pilot, MainScreen)
        assert (await env.services.instances.get_settings()).image != "example.com/bot:2"


def row_texts(listing: InstanceList) -> list[str]:
    """The list's lines as drawn (header first), at its current scroll position."""
    return [listing.render_line(y).text for y in range(listing.row_count + 1)]


async def test_columns_fit_80_columns_with_ports_and_a_long_name(env: Env) -> None:
    # "At 80×24 … no ports"; "a 54-character name truncated with an ellipsis instead of pushing
    # STATUS off screen".
    long_display = "Research Assistant For The Quarterly Planning Meeting"
    await seed(env.services, long_display)
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = app.screen.query_one(InstanceList)
        await wait_for(lambda: listing.row_count == 4, pilot=pilot)
        await wait_for(lambda: listing.size.width > 0, pilot=pilot)
        lines = row_texts(listing)
        header, rows = lines[0], lines[1:]
        assert "CHROME/TERM" in header, header
        assert "STATUS" in header
        for row in rows:
            assert cell_len(row) <= listing.size.width
        alpha = next(row for row in rows if "bot-alpha" in row)
        assert "30100/30101" in alpha, alpha
        long_row = next(row for row in rows if "bot-research" in row)
        assert "…" in long_row.split()[0] + long_row.split()[1], long_row
        assert any(glyph in long_row for glyph in TONE_GLYPHS.values()), long_row
        assert "/" in long_row.split("…", 1)[1], "the long name's ports are on screen"


async def test_name_stays_when_scrolling_right(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await instance_list(pilot)
        await pilot.press("end")
        await wait_for(lambda: listing.scroll_x > 0, pilot=pilot, what="scrolled right")
        header, *rows = row_texts(listing)
        assert "NAME" in header, header
        assert "REASON" in header, header
        assert [row.split()[0] for row in rows] == ["bot-alpha", "bot-beta", "bot-gamma"]


async def test_status_sort_is_stable_while_pods_crash_loop(env: Env) -> None:
    # Sorting by STATUS with crash-looping instances swapped rows every second (the status text
    # cycles Error → CrashLoopBackOff → Running (not ready)).
    app = env.app()
    async with app.run_test(size=(120, 30)) as pilot:
        listing = await instance_list(pilot)
        listing.sort_by("status")
        env.emulator.crash_loop("claworc", "bot-beta")
        env.emulator.crash_loop("claworc", "bot-gamma")
        await wait_for(
            lambda: all(listing.views[n].restarts >= 1 for n in ("bot-beta", "bot-gamma")),
            timeout=10.0,
            what="both crash-looping",
        )
        orders = set()
        statuses = set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 4
        while loop.time() < deadline:
            orders.add(listing.shown_names)
            statuses.add(tuple(listing.views[n].status for n in ("bot-beta", "bot-gamma")))
            await asyncio.sleep(0.02)
        assert len(statuses) > 1, "the pods did not cycle, so the test saw nothing"
        assert orders == {("bot-beta", "bot-gamma", "bot-alpha")}, orders


async def test_help_shows_bracket_keys_as_typed(env: Env) -> None:
    # Help showed "[[/]  Tail preset": the "[" key broke the markup.
    app = env.app()
    async with app.run_test(size=(100, 45)) as pilot:
        await open_screen(pilot, HelpModal, "question_mark")
        text = "\n".join(str(s.render()) for s in app.screen.query(".help-section"))
        lines = {line.strip() for line in text.splitlines()}
        assert "[  Tail preset" in lines, text
        assert "]  Since preset" in lines, text
        assert "[[/]" not in text


async def test_marks_hidden_by_the_filter_are_left_alone(env: Env) -> None:
    # Mark 2, filter to 1, press x: it asked "Stop 2 instances?", one of them not on screen.
    app = env.app()
    async with app.run_test(size=(100, 30)) as pilot:
        listing = await instance_list(pilot)
        await pilot.press("space", "space")  # bot-alpha, bot-beta
        await pilot.press("slash", *"gamma", "enter")
        await wait_for(lambda: listing.shown_names == ("bot-gamma",), pilot=pilot)
        assert "2 marked (2 hidden, left alone)" in str(listing.border_title)
        await pilot.press("slash", "ctrl+u", *"beta", "enter")
        await wait_for(lambda: listing.shown_names == ("bot-beta",), pilot=pilot)
        assert "2 marked (1 hidden, left alone)" in str(listing.border_title)
        await pilot.press("x")
        await wait_for_screen(pilot, ConfirmModal, what="confirm stop")
        assert str(app.screen.query_one(".dialog-title").render()) == "Stop bot-beta?"
        await pilot.press("y")

        async def beta_stopped() -> bool:
            views = {v.name: v for v in await env.services.instances.list_views()}
            return views["bot-beta"].status == "Stopped"

        await wait_for(beta_stopped, pilot=pilot, what="bot-beta stopped")
        views = {v.name: v for v in await env.services.instances.list_views()}
        assert views["bot-alpha"].status == "Running"


async def test_create_progress_closes_by_itself_and_selects_the_new_instance(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(100, 30)) as pilot:
        listing = await instance_list(pilot)
        await pilot.press("n")
        await wait_for_screen(pilot, CreateInstanceModal)
        await pilot.press(*"Delta", "ctrl+s")
        await wait_for(lambda: not isinstance(app.screen, CreateInstanceModal), pilot=pilot)
        await wait_for_screen(pilot, MainScreen, timeout=15, what="closed")
        await wait_for(lambda: listing.selected_name == "bot-delta", pilot=pilot, what="selected")
        # The next key is the list's again, not swallowed by a "Done." dialog.
        await pilot.press("j")
        assert listing.selected_name != "bot-delta"


async def test_enter_on_cancel_of_the_delete_confirm_leads_to_the_field(env: Env) -> None:
    # Enter on Cancel closed the dialog, and the rest of the typed name ran as list commands.
    app = env.app()
    async with app.run_test(size=(100, 30), message_hook=env.hook) as pilot:
        listing = await instance_list(pilot)
        await pilot.press("j", "D")
        modal = await wait_for_screen(pilot, DeleteModal, what="delete modal")
        assert modal.focused is not None
        assert modal.focused.id == "cancel"
        await pilot.press("enter", *"bot-beta")
        assert app.screen is modal
        assert modal.query_one("#confirm-name", Input).value == "bot-beta"
        assert listing.sort_column == ("name", False)
        assert not any("URL" in toast for toast in env.toasts())
        await pilot.press("escape")
        await wait_for_screen(pilot, MainScreen)
        assert await env.names() == ["bot-alpha", "bot-beta", "bot-gamma"]


async def test_counts_of_one_are_singular(env: Env) -> None:
    # "1 lines", "1 differences", "1 orphaned object(s)".
    await env.services.instances.update_config("bot-alpha", '{"a": 1}', restart=False)
    env.emulator.api.delete(BY_PLURAL["services"], "claworc", "bot-beta-vnc", {})
    async with env.started(size=(140, 40)) as (app, pilot, screen):
        await pilot.press("enter")
        await wait_for(lambda: screen.detail.details is not None, pilot=pilot, timeout=10)
        detail = "\n".join(str(s.render()) for s in screen.detail.query(Static))
        assert "clawdbot.json: 8 bytes, 1 line" in detail, detail
        assert "1 lines" not in detail
        await pilot.press("d")
        await wait_for_screen(pilot, DriftScreen)
        status = app.screen.query_one("#drift-status", Static)
        await wait_for(lambda: "▲" in str(status.render()), pilot=pilot, timeout=10, what="drift")
        assert "▲ 1 difference (3 instances checked)" in str(status.render())


async def test_detail_opens_another_instance_at_its_top(env: Env) -> None:
    # Opened bot-alpha scrolled to "Kubernetes objects": the position of the previous one.
    async with env.started(size=(100, 30)) as (_, pilot, screen):
        await pilot.press("j", "enter")
        detail = screen.detail
        await wait_for(lambda: detail.details is not None, pilot=pilot, timeout=10)
        await wait_for(
            lambda: detail.max_scroll_y > 0, pilot=pilot, what="detail taller than its pane"
        )
        detail.scroll_end(animate=False)
        await wait_for(lambda: detail.scroll_y > 0, pilot=pilot)
        screen.instance_list.focus()
        await pilot.press("k")
        await wait_for(
            lambda: detail.view is not None and detail.view.name == "bot-alpha", pilot=pilot
        )
        await pilot.pause()
        assert detail.scroll_y == 0


async def test_detail_sections_keep_their_place_while_a_pod_crash_loops(env: Env) -> None:
    env.emulator.crash_loop("claworc", "bot-alpha")
    app = env.app()
    async with app.run_test(size=(160, 60)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        detail = screen.detail
        await wait_for(lambda: screen.instance_list.row_count == 3, timeout=10.0)
        await pilot.press("enter")

        def crash_advice() -> bool:
            texts = (str(s.render()) for s in detail.query("#detail-advice Static"))
            return any("Crash-looping" in text for text in texts)

        await wait_for(crash_advice, timeout=20, what="crash-loop advice")
        events = detail.query_one("#detail-events")
        advice = detail.query_one("#detail-advice")
        places = set()
        statuses = set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while loop.time() < deadline:
            statuses.add(detail.view.status if detail.view else None)
            places.add((events.virtual_region.y, advice.virtual_region.y, len(advice.children)))
            await asyncio.sleep(0.02)
        assert len(statuses) > 1, "the pod did not cycle, so the test saw nothing"
        assert len(places) == 1, places


async def test_activity_pane_is_live_and_esc_closes_it(env: Env) -> None:
    async with env.started(size=(120, 40)) as (app, pilot, screen):
        await pilot.press("a")
        await wait_for(lambda: screen.bottom == "activity", pilot=pilot)
        pane = screen.activity_pane
        await wait_for(lambda: len(pane.entries) > 0, pilot=pilot, what="activity loaded")
        before = len(pane.entries)
        # Another process (here: the service directly, as the CLI would) writes an entry.
        await env.services.instances.stop("bot-gamma")
        await wait_for(
            lambda: len(pane.entries) > before, pilot=pilot, timeout=10, what="live entry"
        )
        assert any(e.action == "stop" and e.instance == "bot-gamma" for e in pane.entries)
        await pilot.press("escape")
        await wait_for(lambda: screen.bottom is None, pilot=pilot, what="esc closes the pane")
        assert app.focused is screen.instance_list
