"""The main screen driven by keys: navigation, sort, filter, marks, bulk actions, detail."""

from __future__ import annotations

from typing import Any

from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.widgets.app_header import AppHeader
from claworc_tui.ui.widgets.instance_detail import InstanceDetail
from claworc_tui.ui.widgets.instance_list import InstanceList
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env
from tests.ui.steps import instance_list, open_screen


def rows(listing: InstanceList) -> list[str]:
    """Names in display order."""
    return list(listing.shown_names)


async def test_list_shows_the_fleet_live_and_the_header_says_live(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(160, 45)) as pilot:
        listing = app.screen.query_one(InstanceList)
        await wait_for(lambda: len(listing.views) == 3, pilot=pilot, what="the snapshot")
        assert rows(listing) == ["bot-alpha", "bot-beta", "bot-gamma"]
        header = app.screen.query_one(AppHeader)
        await wait_for(lambda: header.connection.state == "live", pilot=pilot, what="live")
        assert listing.cell_text("bot-beta", "status") == "● Running"
        # A change on the cluster updates the row in place, without a rebuild.
        await env.services.instances.stop("bot-beta")
        await wait_for(
            lambda: "Stopped" in listing.cell_text("bot-beta", "status"),
            pilot=pilot,
            what="bot-beta stopped",
        )


async def test_jk_move_enter_opens_detail_escape_closes(env: Env) -> None:
    async with env.started(size=(80, 24)) as (_, pilot, screen):
        listing = screen.instance_list
        await pilot.press("j", "j")
        assert listing.selected_name == "bot-gamma"
        await pilot.press("k")
        assert listing.selected_name == "bot-beta"
        await pilot.press("enter")
        detail = screen.query_one(InstanceDetail)
        await wait_for(lambda: detail.details is not None, pilot=pilot, what="details")
        assert detail.details is not None
        assert detail.details.view.name == "bot-beta"
        assert screen.has_class("-detail-open")
        assert detail.display
        assert not screen.query_one("#list-box").display  # narrow: the detail replaces the list
        await pilot.press("escape")
        assert not screen.has_class("-detail-open")
        assert listing.has_focus


async def test_sort_cycles_and_reverses_keeping_the_selection(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(160, 45)) as pilot:
        listing = await instance_list(pilot)
        await pilot.press("j")  # bot-beta
        await pilot.press("O")
        assert rows(listing) == ["bot-gamma", "bot-beta", "bot-alpha"]
        assert listing.selected_name == "bot-beta"
        assert listing.header_label("name") == "NAME▼"
        await pilot.pause()
        assert "NAME▼" in listing.render_line(0).text  # drawn in the header row
        await pilot.press("o")  # next column: status
        assert listing.header_label("status") == "STATUS▲"
        assert listing.header_label("name") == "NAME"


async def test_filter_narrows_and_escape_clears(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await instance_list(pilot)
        await pilot.press("slash", "g", "a", "m")
        assert rows(listing) == ["bot-gamma"]
        await pilot.press("enter")
        assert listing.has_focus
        assert listing.selected_name == "bot-gamma"
        assert listing.border_title == "instances 1/3"
        await pilot.press("escape")
        assert rows(listing) == ["bot-alpha", "bot-beta", "bot-gamma"]


async def test_fuzzy_filter_matches_letters_in_order(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await instance_list(pilot)
        await pilot.press("slash", "b", "t", "g", "m")
        assert rows(listing) == ["bot-gamma"]


async def test_marks_and_bulk_stop_after_confirmation(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(160, 45)) as pilot:
        listing = await instance_list(pilot)
        await pilot.press(
            "space", "j", "space"
        )  # mark alpha (cursor moves on), skip beta, mark gamma
        assert listing.marked == {"bot-alpha", "bot-gamma"}
        await pilot.press("x")
        await wait_for_screen(pilot, ConfirmModal, what="confirm")
        assert app.screen.focused is not None
        assert app.screen.focused.id == "cancel"
        await pilot.press("y")

        async def stopped() -> bool:
            views = {v.name: v for v in await env.services.instances.list_views()}
            return all(views[n].instance.status == "stopped" for n in ("bot-alpha", "bot-gamma"))

        await wait_for(stopped, pilot=pilot, what="both marked instances stopped")
        views = {v.name: v for v in await env.services.instances.list_views()}
        assert views["bot-beta"].instance.status == "running"
        # Starting several still asks (one does not).
        await pilot.press("s")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")

        async def started() -> bool:
            views = {v.name: v for v in await env.services.instances.list_views()}
            return all(views[n].instance.status == "running" for n in ("bot-alpha", "bot-gamma"))

        await wait_for(started, pilot=pilot, what="both started")
        await pilot.press("escape")
        assert listing.marked == frozenset()


async def test_stop_cancelled_changes_nothing(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, ConfirmModal, "x")
        await pilot.press("enter")  # Cancel is focused: enter cancels
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        views = {v.name: v for v in await env.services.instances.list_views()}
        assert views["bot-alpha"].instance.status == "running"


async def test_single_start_needs_no_confirmation_and_restart_does(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(80, 24), message_hook=env.hook, notifications=True) as pilot:
        await open_screen(pilot, ConfirmModal, "r")
        await pilot.press("y")
        await wait_for(lambda: any("restarted bot-alpha" in t for t in env.toasts()), pilot=pilot)
        await pilot.press("s")  # one instance: no question asked
        await wait_for(lambda: any("started bot-alpha" in t for t in env.toasts()), pilot=pilot)
        assert isinstance(app.screen, MainScreen)


async def test_a_change_right_after_another_waits_for_the_period_and_is_not_lost(
    env: Env,
) -> None:
    """Changes published while the screen waits out its period are coalesced by the hub's
    mailbox: the newest one is shown, none is lost."""
    async with env.started(size=(160, 45)) as (_, pilot, screen):
        listing = screen.instance_list
        hub = env.services.instances.hub
        beta = listing.views["bot-beta"]
        shown: list[str] = []
        apply_changes = listing.apply_changes

        def record(views: Any, removed: Any) -> None:
            shown.extend(v.status for v in views if v.name == "bot-beta")
            apply_changes(views, removed)

        listing.apply_changes = record  # type: ignore[method-assign,assignment]
        hub._publish("bot-beta", beta.model_copy(update={"status": "First"}))
        await wait_for(lambda: "First" in listing.cell_text("bot-beta", "status"), pilot=pilot)
        hub._publish("bot-beta", beta.model_copy(update={"status": "Second"}))
        hub._publish("bot-beta", beta.model_copy(update={"status": "Third"}))
        await wait_for(
            lambda: "Third" in listing.cell_text("bot-beta", "status"), pilot=pilot, what="third"
        )
        assert "Second" not in shown, shown  # coalesced away, never drawn
        assert shown.index("First") < shown.index("Third")
