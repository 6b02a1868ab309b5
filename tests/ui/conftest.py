"""UI fixtures: the real app on real Services (temporary SQLite + the emulated cluster).

No fake services and no monkeypatching: what the tests drive is what users run. Time comes from
an injected clock, cursors do not blink, and terminals have a fixed size.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
from syrupy.location import PyTestLocation
from textual.app import App
from textual.drivers.headless_driver import HeadlessDriver
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot

from claworc_emulator import EmulatorServer
from claworc_tui.app import ClaworcApp
from claworc_tui.services import Services
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.widgets.log_pane import LogPane
from tests._support.wait import wait_for
from tests.ui.harness import fixed_now, opened, running_emulator, seed, settings_for
from tests.ui.steps import main_screen, open_logs

SNAPSHOT_DIR = Path(__file__).resolve().parents[2] / "snapshots"
SEEDED = ("Alpha", "Beta", "Gamma")


class RecordingDriver(HeadlessDriver):
    """A headless driver that keeps what the app writes to the terminal (OSC 52, …)."""

    written: list[str]

    def write(self, data: str) -> None:
        if not hasattr(self, "written"):
            self.written = []
        self.written.append(data)


@dataclass
class Env:
    """What a UI test works with."""

    services: Services
    emulator: EmulatorServer
    folder: Path
    messages: list[Message] = field(default_factory=list)

    def app(self, **kwargs: Any) -> ClaworcApp:
        """The app on these services, with the fixed clock and no blinking."""
        kwargs.setdefault("now", fixed_now)
        kwargs.setdefault("environ", {})
        kwargs.setdefault("cursor_blink", False)
        return ClaworcApp(self.services, **kwargs)

    @asynccontextmanager
    async def started(
        self, **run_test: Any
    ) -> AsyncIterator[tuple[ClaworcApp, Pilot[Any], MainScreen]]:
        """The app running (``run_test``: its options, ``size`` first), once its main screen
        lists the seeded fleet (:func:`~tests.ui.steps.main_screen`)."""
        app = self.app()
        async with app.run_test(**run_test) as pilot:
            yield app, pilot, await main_screen(pilot)

    @asynccontextmanager
    async def logs(self, **run_test: Any) -> AsyncIterator[tuple[Pilot[Any], MainScreen, LogPane]]:
        """The app running (``run_test`` options; 120x40 by default) with bot-alpha's log pane
        open and its first lines in (:func:`~tests.ui.steps.open_logs`)."""
        run_test.setdefault("size", (120, 40))
        async with self.app().run_test(**run_test) as pilot:
            screen, pane = await open_logs(pilot)
            yield pilot, screen, pane

    def hook(self, message: Message) -> None:
        """Message hook for ``run_test``: records every message."""
        self.messages.append(message)

    def toasts(self) -> list[str]:
        """Every notification posted so far, as ``title: message``."""
        return [
            f"{m.notification.title}: {m.notification.message}"
            for m in self.messages
            if isinstance(m, Notify)
        ]

    async def names(self) -> list[str]:
        """Instance names in the database."""
        return sorted(view.name for view in await self.services.instances.list_views())


def pod_of(env: Env, instance: str) -> str:
    """The current pod of ``instance`` on the emulator."""
    pods = [
        p["metadata"]["name"]
        for p in env.emulator.objects("pods", "claworc")
        if p["metadata"].get("labels", {}).get("app") == instance
        and not p["metadata"].get("deletionTimestamp")
    ]
    assert pods, f"no pod for {instance}"
    return str(pods[0])


async def all_running(services: Services, count: int) -> bool:
    """True when ``count`` instances are Running and ready."""
    views = await services.instances.list_views()
    return len(views) == count and all(v.ready and v.status == "Running" for v in views)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    """Three running instances (bot-alpha, bot-beta, bot-gamma) on the emulator."""
    async with running_emulator() as emulator, opened(settings_for(tmp_path, emulator)) as services:
        await seed(services, *SEEDED)
        await wait_for(
            lambda: all_running(services, len(SEEDED)), timeout=10, what="seeded instances"
        )
        yield Env(services, emulator, tmp_path)


@pytest.fixture
async def read_only_env(tmp_path: Path) -> AsyncIterator[Env]:
    """The same fleet, opened with --read-only."""
    async with running_emulator() as emulator:
        async with opened(settings_for(tmp_path, emulator)) as services:
            await seed(services, *SEEDED)
        async with opened(settings_for(tmp_path, emulator, read_only=True)) as services:
            yield Env(services, emulator, tmp_path)


# -- snapshots --------------------------------------------------------------------------------


class SvgSnapshot(SingleFileSnapshotExtension):
    """One SVG per test in the top-level ``snapshots/<test module>/`` (syrupy issue #810)."""

    _file_extension = "svg"
    _write_mode = WriteMode.TEXT

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        return str(SNAPSHOT_DIR / Path(test_location.filepath).stem)

    def serialize(self, data: Any, **kwargs: Any) -> Any:
        # Rich names CSS classes after a hash of the content; keep diffs about content only.
        return re.sub(r"\bterminal-\d+-([\w-]+)", r"terminal-\1", str(data))


SnapCompare = Callable[..., Awaitable[bool]]


@pytest.fixture
def snap_compare(snapshot: SnapshotAssertion) -> SnapCompare:
    """pytest-textual-snapshot's ``snap_compare`` call shape, awaited (the services live on the
    test's event loop, so the app must run on it too)."""
    snapshot = snapshot.use_extension(SvgSnapshot)

    async def compare(
        app: App[Any],
        press: Iterable[str] = (),
        terminal_size: tuple[int, int] = (80, 24),
        run_before: Callable[[Pilot[Any]], Awaitable[None] | None] | None = None,
    ) -> bool:
        async with app.run_test(size=terminal_size) as pilot:
            if run_before is not None:
                result = run_before(pilot)
                if result is not None:
                    await result
            for key in press:
                if key == "_":
                    await pilot.pause(0.1)
                else:
                    await pilot.press(key)
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            svg = app.export_screenshot(title="claworc")
        return bool(snapshot == svg)

    return compare
