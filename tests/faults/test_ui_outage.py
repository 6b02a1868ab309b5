"""The API server goes away while the list and a log pane are live, then comes back.

While it is away the app must keep answering keys and say so in the header; once it is back,
status and logs must resume within 2 s, and the followed log must have every line exactly once.

The outage lasts ``CLAWORC_FAULT_OUTAGE_SECONDS`` (5 by default, so the suite stays quick; the
figures in BENCHMARKS.md come from a 30 s run of this same test)::

    CLAWORC_FAULT_OUTAGE_SECONDS=30 .venv/bin/pytest tests/faults/test_ui_outage.py -s

The container keeps logging during the outage (lines are appended to the emulator's log store
while its HTTP side is down), as a real pod would: those lines are in the kubelet's log and the
API must give them back.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.app import App
from textual.pilot import Pilot

from claworc_emulator import EmulatorServer
from claworc_tui.app import ClaworcApp
from claworc_tui.k8s.backoff import Backoff
from claworc_tui.services import Services
from claworc_tui.services.views import ConnectionState, LogStreamState
from claworc_tui.ui.screens.help import HelpModal
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.widgets.app_header import AppHeader
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import all_running
from tests.ui.harness import fixed_now, opened, running_emulator, seed, settings_for

OUTAGE = float(os.environ.get("CLAWORC_FAULT_OUTAGE_SECONDS", "5"))
RESUME_WITHIN = 2.0
"""The issue's target, from the server's return."""
KEY_WITHIN = 1.0
"""A key counts as answered when its screen shows within this (the issue asks for "answered")."""
NS = "claworc"
LINE = re.compile(r"^seq (\d{6})$")


class Env:
    """What the test works with (the env of tests/ui, with a second instance for status)."""

    def __init__(self, services: Services, emulator: EmulatorServer) -> None:
        self.services = services
        self.emulator = emulator


@pytest.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[Env]:
    async with running_emulator() as emulator, opened(settings_for(tmp_path, emulator)) as services:
        await seed(services, "Alpha", "Beta")
        await wait_for(lambda: all_running(services, 2), timeout=10, what="seeded instances")
        yield Env(services, emulator)


def press(app: App[Any], key: str) -> None:
    """A key as terminal input delivers it (``Pilot.press`` would wait for idle)."""
    event = events.Key(key, None if len(key) > 1 else key)
    event.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(event)


async def write_lines(emulator: EmulatorServer, pod: str, written: list[int]) -> None:
    """The container logs one numbered line every 20 ms, whether the API is up or not."""
    while True:
        number = len(written)
        emulator.append_log(NS, pod, [f"seq {number:06d}"])
        written.append(number)
        await asyncio.sleep(0.02)


async def answer_keys(pilot: Pilot[Any], app: ClaworcApp, seconds: float) -> list[float]:
    """Open and close the help screen for ``seconds``; return each key's latency."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    latencies: list[float] = []
    while loop.time() < end:
        press(app, "question_mark")
        start = loop.time()
        await wait_for_screen(pilot, HelpModal, timeout=KEY_WITHIN, what="help")
        latencies.append(loop.time() - start)
        press(app, "escape")
        start = loop.time()
        await wait_for_screen(pilot, MainScreen, timeout=KEY_WITHIN, what="back")
        latencies.append(loop.time() - start)
        await pilot.pause(0.2)
    return latencies


def pod_of(emulator: EmulatorServer, instance: str) -> str:
    """The running pod of ``instance``."""
    pods = [
        p["metadata"]["name"]
        for p in emulator.objects("pods", NS)
        if p["metadata"].get("labels", {}).get("app") == instance
    ]
    assert len(pods) == 1, pods
    return str(pods[0])


def numbers(lines: list[str]) -> list[int]:
    return [int(m.group(1)) for line in lines if (m := LINE.match(line))]


@pytest.mark.slow
async def test_outage_keeps_keys_shows_banner_and_resumes_without_loss(fleet: Env) -> None:
    emulator = fleet.emulator
    app = ClaworcApp(fleet.services, now=fixed_now, environ={}, cursor_blink=False)
    written: list[int] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        header = screen.query_one(AppHeader)
        banner = header.query_one("#header-connection")
        listing = screen.instance_list
        await wait_for(lambda: listing.row_count == 2, pilot=pilot, timeout=10, what="the list")
        await wait_for(
            lambda: header.connection.state is ConnectionState.LIVE,
            pilot=pilot,
            timeout=10,
            what="live",
        )
        await pilot.press("l")
        pane = screen.log_pane
        await wait_for(
            lambda: pane.state is LogStreamState.LIVE,
            pilot=pilot,
            timeout=10,
            what="the log follow",
        )
        alpha, beta = pod_of(emulator, "bot-alpha"), pod_of(emulator, "bot-beta")
        writer = asyncio.create_task(write_lines(emulator, alpha, written))
        try:
            await wait_for(
                lambda: len(numbers(pane.view.lines)) >= 10,
                pilot=pilot,
                timeout=10,
                what="numbered lines",
            )

            # -- the outage ------------------------------------------------------------------
            await emulator.stop()
            gone = asyncio.get_running_loop().time()
            await wait_for(
                lambda: header.connection.state is not ConnectionState.LIVE,
                pilot=pilot,
                timeout=10,
                what="banner",
            )
            shown_after = asyncio.get_running_loop().time() - gone
            banner_text = str(banner.render())
            assert re.search("reconnecting|unreachable", banner_text), banner_text
            keys = await answer_keys(pilot, app, max(0.0, OUTAGE - shown_after))
            assert header.connection.state is not ConnectionState.LIVE

            # -- the return ------------------------------------------------------------------
            await emulator.start()
            loop = asyncio.get_running_loop()
            back = loop.time()
            emulator.set_pod_phase(NS, beta, "Running", "BackAgain")
            last_written = len(written)
            limit = Backoff().cap + 5
            await wait_for(
                lambda: "BackAgain" in listing.views["bot-beta"].status,
                pilot=pilot,
                timeout=limit,
                what="the status after the return",
            )
            status_at = loop.time() - back
            await wait_for(
                lambda: max(numbers(pane.view.lines), default=-1) >= last_written,
                pilot=pilot,
                timeout=limit,
                what="a log line written after the return",
            )
            logs_at = loop.time() - back
        finally:
            writer.cancel()
        total = len(written)
        await wait_for(
            lambda: max(numbers(pane.view.lines), default=-1) >= total - 1,
            pilot=pilot,
            timeout=5,
            what="the last line",
        )
        shown = numbers(pane.view.lines)
    first = shown[0]
    duplicated = len(shown) - len(set(shown))
    lost = sorted(set(range(first, total)) - set(shown))
    figures = (
        f"outage {OUTAGE:.0f}s: banner after {shown_after * 1000:.0f} ms, "
        f"{len(keys)} keys answered (median {statistics.median(keys) * 1000:.0f} ms, "
        f"max {max(keys) * 1000:.0f} ms), "
        f"status back {status_at:.2f}s and logs back {logs_at:.2f}s after the return, "
        f"{total - first} lines across the gap: {len(lost)} lost, {duplicated} duplicated"
    )
    print(figures)
    assert not lost, f"lost lines {lost[:20]} — {figures}"
    assert not duplicated, figures
    # Reconnects back off at most Backoff.cap (1.5 s since 9a0e6c3; it was 5 s, and a 30 s
    # outage then resumed after up to 3 s).
    assert max(status_at, logs_at) <= RESUME_WITHIN, figures
