"""The instance list at fleet scale: 1 000 rows, updated in place, keys still fast.

This exercises the widget alone with view models (pure data, no service involved), since the
point is the table's cost per change, not the cluster's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from rich.color import Color
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from claworc_tui.models.instance import Instance, InstanceStatus, Resources, Storage
from claworc_tui.paths import stylesheet
from claworc_tui.services.views import InstanceView, Tone
from claworc_tui.ui.widgets.instance_list import InstanceList
from tests.ui.harness import fixed_now

CREATED = datetime(2025, 1, 1, tzinfo=UTC)


def view(index: int, status: str = "Running", restarts: int = 0) -> InstanceView:
    """A view of instance number ``index``."""
    instance = Instance(
        id=index,
        name=f"bot-{index:04d}",
        display_name=f"Bot {index}",
        nodeport_chrome=30000 + 2 * index,
        nodeport_terminal=30001 + 2 * index,
        status=InstanceStatus.RUNNING,
        resources=Resources(),
        storage=Storage(),
        clawdbot_config=None,
        overrides=frozenset(),
        created_at=CREATED,
        updated_at=CREATED,
    )
    tone = Tone.OK if status == "Running" else Tone.ERROR
    return InstanceView(
        instance=instance,
        status=status,
        tone=tone,
        ready=status == "Running",
        ready_text="1/1" if status == "Running" else "0/1",
        restarts=restarts,
    )


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield InstanceList(fixed_now)


async def showing(pilot: Any, count: int, *, focus: bool = True) -> InstanceList:
    """The app's list, fed ``count`` views and drawn."""
    listing: InstanceList = pilot.app.query_one(InstanceList)
    if focus:
        listing.focus()
    listing.apply_snapshot([view(i) for i in range(count)])
    await pilot.pause()
    return listing


@asynccontextmanager
async def listed(
    count: int, size: tuple[int, int] = (120, 30), *, focus: bool = True
) -> AsyncIterator[tuple[Pilot[None], InstanceList]]:
    """A :class:`ListApp` running at ``size``, its list fed ``count`` views (:func:`showing`)."""
    async with ListApp().run_test(size=size) as pilot:
        yield pilot, await showing(pilot, count, focus=focus)


async def test_a_thousand_rows_update_in_place() -> None:
    # What it costs is measured by bench/big_fleet.py (BENCHMARKS.md), not timed here: a timed
    # assertion fails on a loaded CI machine and proves nothing on a fast one.
    app = ListApp()
    async with app.run_test(size=(160, 45)) as pilot:
        listing = app.query_one(InstanceList)
        listing.focus()
        listing.apply_snapshot([view(i) for i in range(1000)])
        await pilot.pause()
        assert listing.row_count == 1000
        first_key = listing.shown_names[0]
        for round_ in range(300):
            index = (round_ * 37) % 1000
            listing.apply_changes([view(index, "CrashLoopBackOff", restarts=round_)], ())
        # In place: the same rows, in the same order, not a rebuilt table.
        assert listing.shown_names[0] == first_key
        assert listing.row_count == 1000
        assert "CrashLoopBackOff" in listing.cell_text("bot-0037", "status")
        await pilot.press("j")
        assert listing.selected_name == "bot-0001"


async def test_sorting_by_status_keeps_the_cursor_on_its_instance() -> None:
    async with listed(50) as (pilot, listing):
        listing.select("bot-0020")
        listing.sort_by("status")
        listing.apply_changes([view(30, "OOMKilled")], ())
        await pilot.pause()
        assert listing.shown_names[0] == "bot-0030"  # errors sort first
        assert listing.selected_name == "bot-0020"


async def test_removed_instances_leave_and_unmark() -> None:
    async with listed(5) as (pilot, listing):
        await pilot.press("space")
        assert listing.marked == {"bot-0000"}
        listing.apply_changes((), ("bot-0000",))
        await pilot.pause()
        assert listing.marked == frozenset()
        assert listing.row_count == 4
        many: Any = [f"bot-{i:04d}" for i in range(1, 5)]
        listing.apply_changes((), many)
        assert listing.row_count == 0
        assert listing.selected_name is None


class Opened(ListApp):
    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    def on_instance_list_opened(self, event: InstanceList.Opened) -> None:
        self.opened.append(event.name)


def drawn(listing: InstanceList) -> list[str]:
    """The list's lines as plain text (those not under a scrollbar)."""
    return [listing.render_line(y).text for y in range(listing.scrollable_content_region.height)]


async def test_paging_keeps_the_cursor_row_on_screen() -> None:
    async with listed(1000) as (pilot, listing):
        await pilot.press("G")
        await pilot.pause()
        assert listing.selected_name == "bot-0999"
        assert "bot-0999" in drawn(listing)[-1]
        assert "NAME▲" in drawn(listing)[0]  # the header stays put
        await pilot.press("pageup")
        await pilot.pause()
        page = listing.scrollable_content_region.height - 1
        assert listing.selected_name == f"bot-{999 - page:04d}"
        assert any(listing.selected_name in line for line in drawn(listing))
        await pilot.press("g")
        await pilot.pause()
        assert listing.selected_name == "bot-0000"
        assert "bot-0000" in drawn(listing)[1]


async def test_mouse_header_sorts_row_click_selects_double_click_opens() -> None:
    app = Opened()
    async with app.run_test(size=(120, 30)) as pilot:
        listing = await showing(pilot, 5, focus=False)
        await pilot.click(InstanceList, offset=(6, 3))  # second row of data: bot-0002
        assert listing.selected_name == "bot-0002"
        assert app.opened == []
        await pilot.double_click(InstanceList, offset=(6, 4))
        assert listing.selected_name == "bot-0003"
        assert app.opened == ["bot-0003"]
        await pilot.click(InstanceList, offset=(6, 0))  # NAME header: reverse the order
        assert listing.sort_column == ("name", True)
        assert listing.shown_names[0] == "bot-0004"
        assert listing.selected_name == "bot-0003"


async def test_status_change_and_marks_are_drawn_and_the_cursor_follows_focus() -> None:
    app = ListApp()
    async with app.run_test(size=(120, 30)) as pilot:
        listing = app.query_one(InstanceList)
        listing.apply_snapshot([view(i) for i in range(3)])
        listing.focus()
        await pilot.pause()
        focused = listing.render_line(1)
        listing.blur()
        await pilot.pause()
        blurred = listing.render_line(1)
        assert focused.text == blurred.text
        assert focused != blurred  # the cursor is dimmer when the list is not focused
        listing.apply_changes([view(2, "OOMKilled", restarts=3)], ())
        listing.action_mark_all()
        await pilot.pause()
        line = drawn(listing)[3]
        assert "✓" in line
        assert "✖ OOMKilled" in line
        assert " 3 " in line


async def test_refresh_ages_redraws_the_age_column() -> None:
    clock = [CREATED]

    class Clocked(App[None]):
        def compose(self) -> ComposeResult:
            yield InstanceList(lambda: clock[0])

    app = Clocked()
    async with app.run_test(size=(120, 30)) as pilot:
        listing = await showing(pilot, 3, focus=False)
        assert " 0s " in drawn(listing)[2]
        clock[0] = CREATED.replace(hour=3)
        listing.refresh_ages()
        await pilot.pause()
        assert " 3h " in drawn(listing)[2]
        assert listing.cell_text("bot-0001", "age") == "3h"


async def test_home_and_end_scroll_to_the_first_and_last_column() -> None:
    async with listed(3, (80, 24)) as (pilot, listing):
        await pilot.press("end")
        await pilot.pause()
        assert listing.scroll_x == listing.max_scroll_x > 0
        assert "REASON" in drawn(listing)[0]
        await pilot.press("home")
        await pilot.pause()
        assert listing.scroll_x == 0
        assert "NAME▲" in drawn(listing)[0]
        assert listing.selected_name == "bot-0000"


async def test_status_tones_come_from_the_stylesheet() -> None:
    """A status is drawn in its tone's component class (styles/widgets.tcss), which takes the
    theme's colour: the error tone in ``$error``, the ok tone in ``$success``, RST > 0 in
    ``$warning``; without the app's stylesheet the cells keep the row's colour."""

    class Styled(App[None]):
        CSS_PATH = stylesheet("widgets.tcss")

        def compose(self) -> ComposeResult:
            yield InstanceList(fixed_now)

    def colour_of(listing: InstanceList, row: int, text: str) -> Color | None:
        for segment in listing.render_line(row):
            if text in segment.text:
                return None if segment.style is None else segment.style.color
        raise AssertionError(f"{text!r} not drawn on line {row}")

    app = Styled()
    async with app.run_test(size=(120, 30)) as pilot:
        listing = await showing(pilot, 3, focus=False)  # the cursor is on line 1
        listing.apply_changes([view(2, "OOMKilled", restarts=3)], ())
        await pilot.pause()
        theme = app.theme_variables
        assert colour_of(listing, 2, "● Running") == Color.parse(theme["success"])
        assert colour_of(listing, 3, "✖ OOMKilled") == Color.parse(theme["error"])
        assert colour_of(listing, 3, " 3 ") == Color.parse(theme["warning"])
    async with listed(3, focus=False) as (pilot, listing):
        assert colour_of(listing, 2, "● Running") == colour_of(listing, 2, "bot-0001")
