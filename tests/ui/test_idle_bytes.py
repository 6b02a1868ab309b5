"""What the app writes to the terminal when only relative times move (issue 17, idle bytes).

Frames are really rendered here (``headless=False``) and kept by a recording driver, so the
tests see the escape sequences a terminal (or an SSH session) would get.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.app import App, ComposeResult
from textual.content import Content
from textual.screen import Screen

from claworc_tui.ui.cells import use_cell_updates
from claworc_tui.ui.widgets.instance_list import InstanceList
from claworc_tui.ui.widgets.section import Section
from tests.ui.conftest import RecordingDriver
from tests.ui.test_scale import CREATED, view


class FrameRecorder(RecordingDriver):
    """Headless input, real frames: every frame's escape sequences are kept."""

    @property
    def is_headless(self) -> bool:
        return False


class CellScreen(Screen[None]):
    """A screen like the main one: the list, partial updates cropped to the changed cells."""

    def __init__(self, clock: list[Any]) -> None:
        super().__init__()
        use_cell_updates(self)
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield InstanceList(lambda: self.clock[0])
        yield Section("one\ntwo\nthree", id="section")


class CellApp(App[None]):
    def __init__(self) -> None:
        super().__init__(driver_class=FrameRecorder)
        self.clock: list[Any] = [CREATED + timedelta(minutes=5)]

    def get_default_screen(self) -> Screen[None]:
        return CellScreen(self.clock)


async def started(app: CellApp, pilot: Any) -> tuple[InstanceList, FrameRecorder]:
    listing = app.screen.query_one(InstanceList)
    listing.apply_snapshot([view(i) for i in range(3)])
    await pilot.pause()
    assert " 5m " in listing.render_line(1).text
    driver = app._driver
    assert isinstance(driver, FrameRecorder)
    driver.written.clear()
    return listing, driver


async def test_a_changed_age_writes_that_cell_alone() -> None:
    app = CellApp()
    async with app.run_test(size=(120, 20), headless=False) as pilot:
        listing, driver = await started(app, pilot)
        app.clock[0] = CREATED + timedelta(minutes=6)
        listing.refresh_ages()
        await pilot.pause()
        written = "".join(driver.written)
        assert written.count(" 6m ") == 3  # each row's AGE cell …
        for index in range(3):  # … and nothing to the left of it
            assert f"bot-{index:04d}" not in written
        assert "Running" not in written
        assert "6m" in listing.render_line(1).text


async def test_an_age_whose_text_stays_is_not_written() -> None:
    app = CellApp()
    async with app.run_test(size=(120, 20), headless=False) as pilot:
        listing, driver = await started(app, pilot)
        app.clock[0] = CREATED + timedelta(minutes=5, seconds=50)  # still "5m"
        listing.refresh_ages()
        await pilot.pause()
        assert "5m" not in "".join(driver.written)


async def test_a_section_repaints_only_its_changed_line() -> None:
    app = CellApp()
    async with app.run_test(size=(120, 20), headless=False) as pilot:
        _, driver = await started(app, pilot)
        section = app.screen.query_one(Section)
        section.show(Content("one\nTWO\nthree"))
        await pilot.pause()
        written = "".join(driver.written)
        assert "TWO" in written
        assert "one" not in written
        assert "three" not in written
        driver.written.clear()
        section.show(Content("one\nTWO\nthree\nfour"))  # taller: a full update, laid out
        await pilot.pause()
        assert section.size.height == 4
        assert all(word in "".join(driver.written) for word in ("one", "TWO", "four"))
