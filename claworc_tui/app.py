"""ClaworcApp: wiring only — the services in, the main screen up, failures reported in one place."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import PurePath
from typing import ClassVar

from textual import events, on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Input, TextArea

from claworc_tui.config import Settings
from claworc_tui.models.errors import ClaworcError
from claworc_tui.paths import stylesheet
from claworc_tui.services import Services, open_services
from claworc_tui.ui.context import UiContext
from claworc_tui.ui.messages import ServiceFailed
from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.main import MainScreen

STYLESHEETS = ("app.tcss", "main.tcss", "widgets.tcss", "dialogs.tcss", "settings.tcss")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ClaworcApp(App[int]):
    """The full-screen app."""

    TITLE = "claworc"
    CSS_PATH: ClassVar[list[str | PurePath]] = [stylesheet(name) for name in STYLESHEETS]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+p", "command_palette", "Commands", show=False),
    ]

    def __init__(
        self,
        services: Services,
        *,
        now: Callable[[], datetime] = _utc_now,
        environ: Mapping[str, str] | None = None,
        cursor_blink: bool = True,
        driver_class: type[Driver] | None = None,
    ) -> None:
        """Create the app.

        Args:
            services: The opened services (the caller closes them).
            now: The clock (tests pass a fixed one).
            environ: The environment (SSH detection, $EDITOR); defaults to ``os.environ``.
            cursor_blink: Whether text cursors blink (off for deterministic snapshots).
            driver_class: Textual driver (tests pass one that records what is written).
        """
        super().__init__(driver_class=driver_class)
        self.services = services
        self._cursor_blink = cursor_blink
        self.ctx = UiContext(
            ops=services.instances,
            context_name=services.context_name,
            namespace=services.namespace,
            now=now,
            environ=dict(os.environ if environ is None else environ),
            read_only_reason=services.read_only_reason,
            demo=services.config.demo,
            warnings=tuple(services.warnings),
            log_buffer_lines=services.config.log_buffer_lines,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # `q` quits from the main screen only: elsewhere it goes back (Settings, drift, help
        # bind it themselves), and in a dialog it must not throw away what was typed.
        return action != "quit" or isinstance(self.screen, MainScreen)

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self.ctx)

    def on_mount(self) -> None:
        self.set_timer(0.5, self._freeze_startup_objects)
        for warning in self.ctx.warnings:
            self.notify(warning, title="Warning", severity="warning", timeout=8)
        if self.ctx.read_only_reason:
            self.notify(self.ctx.read_only_reason, title="Read-only", timeout=6)

    def _freeze_startup_objects(self) -> None:
        """Move everything alive after the first frame out of the collector's reach.

        The app keeps ~170 000 long-lived objects (widgets, styles, compiled CSS). Every full
        collection walked them all, stalling the loop 60-230 ms several times a second during a
        log flood (bench/logs.py, bench/status.py). Frozen, they are never scanned again;
        what is created later is collected as usual.
        """
        gc.collect()
        gc.freeze()

    def on_unmount(self) -> None:
        # Hand the frozen objects back, so an app that has gone can be collected (tests run
        # many apps in one process).
        gc.unfreeze()

    @on(events.DescendantFocus)
    def _no_blink(self, event: events.DescendantFocus) -> None:
        if not self._cursor_blink and isinstance(event.widget, Input | TextArea):
            event.widget.cursor_blink = False

    @on(ServiceFailed)
    def show_failure(self, message: ServiceFailed) -> None:
        """The one place failures are reported: a toast, or a modal for destructive ones."""
        text = str(message.error) or type(message.error).__name__
        if message.destructive:
            self.push_screen(ConfirmModal(f"Could not {message.op}", escape(text), "OK"))
        else:
            self.notify(
                text, title=f"Could not {message.op}", severity="error", timeout=8, markup=False
            )


async def _run(settings: Settings) -> int:
    try:
        services = await open_services(settings)
    except ClaworcError as exc:
        print(f"claworc-tui: {exc}", file=sys.stderr)
        return 1
    try:
        app = ClaworcApp(services)
        result = await app.run_async()
    finally:
        await services.aclose()
    return result or 0


def run_app(settings: Settings) -> int:
    """Open the services, run the app, close the services; return the exit code."""
    return asyncio.run(_run(settings))
