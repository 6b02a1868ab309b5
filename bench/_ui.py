"""The app side of the benchmarks: a driver that renders real frames, and waits on them.

Textual's headless driver skips rendering altogether (``App._display`` returns early), so a
headless "first frame" would not include the cost of turning the screen into terminal output.
:class:`FrameDriver` is the headless driver with that step put back: every frame is rendered to
the escape sequences a terminal would receive, handed to a listener, and dropped. Both the app
and its reference (a bare DataTable app) run on it, under ``App.run_test(headless=False)``, so the
harness is the same for both.

A frame "shows" something when its text contains it: the listener searches the raw escape
sequences, which keep each cell's text contiguous.
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from collections.abc import Callable
from typing import Any, ClassVar

from textual import events
from textual.app import App
from textual.drivers.headless_driver import HeadlessDriver
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

from claworc_tui.app import ClaworcApp
from claworc_tui.services import Services
from claworc_tui.ui.screens.main import MainScreen

SIZE = (160, 45)

FrameCheck = Callable[[str, float], bool]
"""Called with each frame's output and its time; return True when it is the awaited one."""


class FrameDriver(HeadlessDriver):
    """Headless input, real rendering: each frame goes to :attr:`listener`, then nowhere."""

    listener: ClassVar[Callable[[str], None] | None] = None
    frames: ClassVar[int] = 0
    bytes_written: ClassVar[int] = 0

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        FrameDriver.frames += 1
        FrameDriver.bytes_written += len(data)
        if FrameDriver.listener is not None:
            FrameDriver.listener(data)


class FrameWatch:
    """Resolves when a frame satisfying ``check`` is written; keeps its time."""

    def __init__(self, check: FrameCheck) -> None:
        self.check = check
        self.at: float | None = None
        self.done = asyncio.Event()

    def __call__(self, data: str) -> None:
        if self.done.is_set():
            return
        now = time.monotonic()
        if self.check(data, now):
            self.at = now
            self.done.set()

    async def wait(self, within: float) -> float:
        """The frame's time (monotonic); raises TimeoutError after ``within`` seconds."""
        previous = FrameDriver.listener
        FrameDriver.listener = self
        try:
            await asyncio.wait_for(self.done.wait(), within)
        finally:
            FrameDriver.listener = previous
        assert self.at is not None
        return self.at


def watch(check: FrameCheck) -> FrameWatch:
    """Start watching frames now (call before causing the change)."""
    frame_watch = FrameWatch(check)
    FrameDriver.listener = frame_watch
    return frame_watch


def send_key(app: App[Any], key: str) -> float:
    """Send one key the way a terminal's input would arrive (no waiting); returns the time."""
    # As ``App._press_keys`` (what ``Pilot.press`` uses), minus its waiting for idle.
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char: str | None = unicodedata.lookup(
            _get_unicode_name_from_key(REPLACED_KEYS.get(key, key))
        )
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    assert app._driver is not None
    sent = time.monotonic()
    app._driver.send_message(event)
    return sent


async def wait_until(predicate: Callable[[], bool], within: float, what: str) -> None:
    """Poll ``predicate`` (for states no frame signals) until true or ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"timed out after {within:.0f}s waiting for {what}")
        await asyncio.sleep(0.01)


def frame_app(services: Services) -> ClaworcApp:
    """The app on ``services``, rendering real frames (run it with ``run_test(headless=False)``)."""
    return ClaworcApp(services, environ={}, driver_class=FrameDriver)


async def listed(
    app: ClaworcApp, count: int, within: float, *, running: bool = False
) -> MainScreen:
    """The main screen once its list shows ``count`` rows (all Running too, with ``running``)."""
    screen = app.screen
    assert isinstance(screen, MainScreen)
    listing = screen.instance_list

    def shown() -> bool:
        if listing.row_count != count:
            return False
        return not running or all(v.status == "Running" for v in listing.views.values())

    await wait_until(shown, within, "the list")
    return screen
