"""Text from the cluster is data, never control (issue 11).

Hostile strings go in where they come from in real life — an Event of the emulated cluster, a
container's termination message, a log line, an API server's error, a display name in the
SQLite file — and what comes out is checked where it matters: the characters of the frame the
app draws (no control or bidi character), the bytes a terminal would receive for that frame
(no OSC/CSI/C1 sequence of the input), and clicks on text that was markup (no action runs).
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Input

from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.main import MainScreen
from tests._support.wait import wait_for, wait_for_screen
from tests.hostile import (
    BAD_LINK,
    C1_CSI,
    C1_OSC,
    CLEAR,
    CLICK_QUIT,
    CLICK_SCREENSHOT,
    OSC8,
    OSC52,
    RLO,
    VARIABLE,
    bad_chars,
    leaked,
)
from tests.ui.conftest import SEEDED, Env, all_running, pod_of
from tests.ui.harness import opened, running_emulator, seed, settings_for

NS = "claworc"
SIZE = (160, 45)
TALL = (160, 80)


def screen_lines(app: App[Any]) -> list[str]:
    """The characters of every row the app draws now (the top screen, toasts included)."""
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def terminal_output(app: App[Any]) -> str:
    """What a terminal would receive to draw the current frame (as the real driver writes it)."""
    return app.screen._compositor.render_full_update().render_segments(app.console)


def click_actions(app: App[Any]) -> set[str]:
    """The click actions segments of the frame carry (markup parsed from text would add some;
    the app's own widgets add none)."""
    strips = app.screen._compositor.render_strips()
    metas = (segment.style.meta for strip in strips for segment in strip if segment.style)
    return {str(meta["@click"]) for meta in metas if "@click" in meta}


def assert_clean(app: App[Any]) -> None:
    lines = screen_lines(app)
    assert bad_chars(lines) == [], "\n".join(lines)
    assert leaked(terminal_output(app)) == []
    assert click_actions(app) == set()


def find(app: App[Any], pattern: str) -> tuple[int, int] | None:
    """The screen cell where ``pattern`` (a regex) first matches, or None."""
    for y, line in enumerate(screen_lines(app)):
        match = re.search(pattern, line)
        if match:
            return cell_len(line[: match.start()]), y
    return None


async def click_text(pilot: Pilot[Any], pattern: str) -> None:
    where = find(pilot.app, pattern)
    assert where is not None, f"{pattern!r} not on screen"
    await pilot.click(offset=where)
    await pilot.pause(0.2)


def shows(app: App[Any], text: str) -> bool:
    return any(text in line for line in screen_lines(app))


async def start(pilot: Pilot[Any]) -> MainScreen:
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    await wait_for(lambda: screen.instance_list.row_count == len(SEEDED), pilot=pilot)
    return screen


@pytest.fixture
def shot_dir() -> Iterator[Path]:
    """A folder a markup click would save a screenshot into, with a short path of fixed length.

    The path is part of an Event message that must fit its column on screen: tmp_path does not
    (its length depends on the pytest run: ``pytest-NNNN``, ``popen-gwN`` under xdist).
    """
    with tempfile.TemporaryDirectory(prefix="claworc-shot-") as folder:
        yield Path(folder)


async def test_event_message_is_text_and_its_click_markup_runs_nothing(
    env: Env, shot_dir: Path
) -> None:
    shot = CLICK_SCREENSHOT.format(folder=shot_dir)
    message = f"{OSC52}{CLEAR} {shot} {CLICK_QUIT} {C1_CSI}{RLO}"
    app = env.app()
    # Tall: every event of the pod is in view.
    async with app.run_test(size=TALL, notifications=True) as pilot:
        await start(pilot)
        env.emulator.emit_event(NS, pod_of(env, "bot-alpha"), "Warning", "Hostile", message)
        await pilot.press("enter")  # the detail pane of bot-alpha, events loaded
        # The reason can be on screen (toast, activity) a frame before the detail pane's events
        # table shows the message: wait for the message itself, shown as it was written.
        await wait_for(
            lambda: shows(app, "Hostile") and shows(app, "[ @click=app.quit]quit[/]"),
            pilot=pilot,
            what="the event and its message",
        )
        assert_clean(app)
        await click_text(pilot, r"(?<![a-z])shot")
        assert not list(shot_dir.rglob("pwned*")), "a click on an Event message saved a file"
        await click_text(pilot, r"(?<![a-z.])quit")
        assert not app._exit, "a click on an Event message quit the app"
        assert shows(app, "Hostile")


async def test_termination_message_does_not_stop_the_fleet_stream(env: Env) -> None:
    """``[Link=…]`` made ``escape()``d markup raise inside the fleet worker: the list froze."""
    message = f"{BAD_LINK} {OSC52} {C1_OSC} {VARIABLE} {OSC8}"
    env.emulator.termination_message(NS, "bot-alpha", message)
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await start(pilot)
        listing = screen.instance_list
        env.emulator.crash_loop(NS, "bot-alpha")  # bot-alpha is selected: the detail shows it
        await wait_for(
            lambda: "Link=" in listing.cell_text("bot-alpha", "reason"),
            timeout=10.0,
            what="REASON column",
        )
        await wait_for(lambda: shows(app, "Link="), timeout=10.0, what="the message drawn")
        # The stream still runs: a change to another instance reaches the list.
        await env.services.instances.stop("bot-gamma")
        await wait_for(
            lambda: "Running" not in listing.cell_text("bot-gamma", "status"),
            timeout=10.0,
            what="bot-gamma's stop in the list",
        )
        assert_clean(app)


async def test_previous_container_lines_are_not_markup(env: Env) -> None:
    pod = pod_of(env, "bot-alpha")
    env.emulator.append_log(NS, pod, [f"boom {CLICK_QUIT} {OSC52}", f"{C1_CSI} {RLO}"])
    env.emulator.config.crash_backoff = 30  # one crash: the previous container wrote those
    env.emulator.crash_loop(NS, "bot-alpha")
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True, message_hook=env.hook) as pilot:
        screen = await start(pilot)
        detail = screen.detail
        await pilot.press("enter")
        await wait_for(
            lambda: bool(detail.query("#advice-crash-loop")), timeout=10.0, what="crash advice"
        )
        detail.query_one("#advice-crash-loop", Button).press()
        await wait_for(
            lambda: isinstance(app.screen, ConfirmModal), timeout=10.0, what="confirmation"
        )
        await wait_for(lambda: app.screen.focused is not None, timeout=10.0, what="modal ready")
        app.screen.query_one("#confirm", Button).press()
        await wait_for(lambda: shows(app, "boom"), timeout=10.0, what="the toast")
        env.emulator.heal(NS, "bot-alpha")
        assert_clean(app)
        assert shows(app, "[ @click=app.quit]quit[/]")
        await click_text(pilot, r"(?<![a-z.])quit")
        assert not app._exit, "a click on a log line in a toast quit the app"


async def test_api_error_message_in_toast_and_activity(env: Env) -> None:
    message = f"denied {OSC52}{CLEAR} {C1_OSC} {RLO} {CLICK_QUIT}"
    env.emulator.inject_failure(
        "PATCH", "deployments", status=500, reason="InternalError", message=message, times=20
    )
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True, message_hook=env.hook) as pilot:
        await start(pilot)
        await pilot.press("x")
        await wait_for_screen(pilot, ConfirmModal, what="confirmation")
        await pilot.press("y")
        await wait_for(lambda: shows(app, "Could not stop"), pilot=pilot, what="the error toast")
        assert shows(app, "denied")
        assert_clean(app)
        await pilot.press("a")
        await wait_for(lambda: shows(app, "denied") and shows(app, "OUTCOME"), pilot=pilot)
        assert_clean(app)


async def test_log_lines_lose_c1_controls_and_bidi_overrides(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(pilot)
        await pilot.press("l")
        pod = pod_of(env, "bot-alpha")
        env.emulator.append_log(NS, pod, [f"hostile {C1_CSI} {C1_OSC} {RLO} {OSC52} {CLEAR}"])
        await wait_for(lambda: shows(app, "hostile"), pilot=pilot, what="the log line")
        assert_clean(app)


@pytest.fixture
async def named_env(tmp_path: Path) -> AsyncIterator[Env]:
    """bot-alpha with a display name no form would accept, written in the database file (an
    older version, another tool, a restored backup)."""
    async with running_emulator() as emulator:
        settings = settings_for(tmp_path, emulator)
        async with opened(settings) as services:
            await seed(services, *SEEDED)
        with sqlite3.connect(settings.db) as raw:
            raw.execute(
                "UPDATE instances SET display_name = ? WHERE name = 'bot-alpha'",
                (f"Alpha {OSC52}{C1_CSI}{RLO} {CLICK_QUIT} {BAD_LINK}",),
            )
        async with opened(settings) as services:
            await wait_for(
                lambda: all_running(services, len(SEEDED)), timeout=10, what="seeded instances"
            )
            yield Env(services, emulator, tmp_path)


async def test_display_name_from_the_database_is_text(named_env: Env) -> None:
    app = named_env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(pilot)
        await pilot.press("enter")
        await wait_for(lambda: shows(app, "Link="), pilot=pilot, what="the display name")
        assert_clean(app)
        await click_text(pilot, r"(?<![a-z.])quit")
        assert not app._exit, "a click on a display name quit the app"
        # The confirmation of a stop names the instance; the dialog is text too.
        await pilot.press("x")
        await wait_for_screen(pilot, ConfirmModal, what="confirmation")
        assert_clean(app)


async def test_pasted_text_loses_its_controls(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot)
        await pilot.press("slash")
        field = screen.query_one("#filter", Input)
        await wait_for(lambda: field.has_focus, pilot=pilot, what="the filter field")
        paste = events.Paste(f"alp{OSC52}{C1_CSI}{RLO}")
        paste.set_sender(app)
        assert app._driver is not None
        app._driver.send_message(paste)
        await wait_for(lambda: field.value.startswith("alp"), pilot=pilot, what="the pasted text")
        assert bad_chars([field.value]) == []
        assert_clean(app)
