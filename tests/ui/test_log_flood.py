"""A log flood on a real frame path (issue 17, keys under a flood).

Every draw of the log region that scrolls it is the whole region written to the terminal (and
over SSH, sent). While batches come back to back the pane draws at most once per
``REPAINT_EVERY`` (the batches between are held and drawn together), and the newest lines are
on the terminal when the flood is over. Frames are really rendered here (``headless=False``)
and kept by a recording driver.
"""

from __future__ import annotations

import queue
import time
from typing import Any

from claworc_tui.services.views import LogBatch, LogLine
from claworc_tui.ui.widgets.log_draw import BEHIND_MAX, BEHIND_RETRY
from claworc_tui.ui.widgets.log_pane import REPAINT_EVERY
from tests._support.wait import wait_for
from tests.ui.conftest import Env, pod_of
from tests.ui.steps import open_logs
from tests.ui.test_idle_bytes import FrameRecorder


def batch(start: int, count: int, dropped: int = 0) -> LogBatch:
    """Lines ``b start`` … as one batch of the stream."""
    return LogBatch(tuple(LogLine(f"b {i}", "", i) for i in range(start, start + count)), dropped)


class _Writer:
    """What Textual's Linux driver hands frames to the tty through: a writer thread's queue."""

    def __init__(self) -> None:
        self._queue: queue.Queue[str] = queue.Queue()


class SlowTerminal(FrameRecorder):
    """Real frames, and a writer queue the test fills: frames the terminal has not taken yet."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_thread = _Writer()


async def test_a_flood_is_drawn_at_most_once_per_interval_and_ends_on_its_newest_line(
    env: Env,
) -> None:
    app = env.app(driver_class=FrameRecorder)
    async with app.run_test(size=(120, 40), headless=False) as pilot:
        _, pane = await open_logs(pilot)
        driver = app._driver
        assert isinstance(driver, FrameRecorder)
        pod = pod_of(env, "bot-alpha")
        draws = pane.draws
        started = time.monotonic()
        await env.emulator.generate_logs("claworc", pod, rate=None, count=30_000, template="f {i}")
        await wait_for(lambda: "f 29999" in pane.view.lines, pilot=pilot, timeout=30, what="end")
        elapsed = time.monotonic() - started
        drawn = pane.draws - draws
        assert 1 <= drawn <= 1 + elapsed / REPAINT_EVERY, (drawn, elapsed)
        # The last batch may have been held: it is drawn, and it reaches the terminal.
        assert not pane._held
        await wait_for(
            lambda: any("f 29999" in chunk for chunk in driver.written[-50:]),
            pilot=pilot,
            what="the newest line written to the terminal",
        )
        assert pane.view.at_end


async def test_a_trickle_is_drawn_as_it_comes(env: Env) -> None:
    """A batch after a quiet spell is drawn at once, not held for the interval."""
    async with env.logs() as (pilot, _, pane):
        pod = pod_of(env, "bot-alpha")
        for index in range(3):
            await pilot.pause(REPAINT_EVERY * 1.5)  # longer than the interval: quiet
            waited = pane.waited
            stamp = f"trickle {index}"
            await env.emulator.generate_logs("claworc", pod, rate=None, count=1, template=stamp)
            await wait_for(lambda: stamp in pane.view.lines, pilot=pilot, what=stamp)  # noqa: B023
            assert pane.waited == waited, "a line after a quiet spell waited for the interval"


async def test_batches_within_the_interval_are_held_and_drawn_together(env: Env) -> None:
    """Step by step, on the pane's own clock: the first batch is drawn at once, the next ones
    within the interval wait and are drawn as one, in order, when it is over."""
    async with env.logs() as (pilot, _, pane):
        pane.instance = None  # no stream: only the batches below reach the pane
        await pilot.pause()
        clock = [100.0]
        pane._clock = lambda: clock[0]

        draws, waited = pane.draws, pane.waited
        pane._take(batch(0, 10))
        assert pane.draws == draws + 1  # after a quiet spell: at once
        assert pane.view.lines[-1] == "b 9"
        clock[0] += REPAINT_EVERY / 4
        pane._take(batch(10, 10))
        clock[0] += REPAINT_EVERY / 4
        pane._take(batch(20, 10, dropped=5))
        assert pane.draws == draws + 1  # held: not drawn yet
        assert pane.view.lines[-1] == "b 9"
        clock[0] += REPAINT_EVERY
        await wait_for(lambda: pane.draws == draws + 2, pilot=pilot, what="the held draw")
        assert pane.waited == waited + 1
        lines = pane.view.lines
        assert lines[-20:] == [f"b {i}" for i in range(10, 30)]  # both batches, in order
        assert "5 lines dropped" in lines[-21]  # and the drop said once, before them
        assert not pane._held


async def test_a_draw_waits_while_the_terminal_has_not_taken_the_frames_before(env: Env) -> None:
    """Frames queued for a slow terminal delay a key's frame: the log waits for them, a while."""
    app = env.app(driver_class=SlowTerminal)
    async with app.run_test(size=(120, 40), headless=False) as pilot:
        _, pane = await open_logs(pilot)
        pane.instance = None  # no stream: only the batches below reach the pane
        await pilot.pause()
        clock = [100.0]
        pane._clock = lambda: clock[0]
        driver = app._driver
        assert isinstance(driver, SlowTerminal)
        backlog = driver._writer_thread._queue
        pane._take(batch(0, 10))
        draws = pane.draws
        backlog.put("a frame the terminal has not taken")
        clock[0] += 2 * REPAINT_EVERY
        pane._take(batch(10, 10))
        await pilot.pause(5 * BEHIND_RETRY)  # asked again meanwhile: still behind
        assert pane.draws == draws
        assert pane.view.lines[-1] == "b 9"
        backlog.get_nowait()  # the terminal took it
        await wait_for(lambda: pane.draws == draws + 1, pilot=pilot, what="the held draw")
        assert pane.view.lines[-1] == "b 19"
        # A terminal that never catches up still gets the lines, BEHIND_MAX after the last draw.
        backlog.put("another frame")
        clock[0] += BEHIND_MAX
        pane._take(batch(20, 1))
        assert pane.draws == draws + 2
        assert pane.view.lines[-1] == "b 20"
