"""ClaworcApp: wiring only — the services in, the main screen up, failures reported in one place.

A start draws the list from the records first and connects to the cluster after that first
frame (see :mod:`claworc_tui.services.launch`): :func:`run_app` opens the records (a database
or key that cannot be used ends it there, before the terminal is taken), the app shows them
with the header saying "connecting", imports and opens the cluster client once the frame is
on screen, and fills in the live status as it comes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.screen import Screen

from claworc_tui.config import Settings
from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.text import safe_text
from claworc_tui.paths import stylesheet
from claworc_tui.services.launch import Launch, NotConnected, connect, open_records
from claworc_tui.services.views import InstanceView
from claworc_tui.ui.context import UiContext
from claworc_tui.ui.messages import ServiceFailed
from claworc_tui.ui.remedies import said
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.text import is_text_field, toast

if TYPE_CHECKING:  # imported after the first frame (services.launch.connect)
    from claworc_tui.services import Services

log = logging.getLogger(__name__)
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
        # While connecting, Ctrl+C quits, as it did before the app took the terminal; once
        # connected it is Textual's (copy in a field, else the hint how to quit).
        Binding("ctrl+c", "quit_connecting", show=False, priority=True),
    ]

    def __init__(
        self,
        services: Services | Launch,
        *,
        now: Callable[[], datetime] = _utc_now,
        environ: Mapping[str, str] | None = None,
        cursor_blink: bool = True,
        driver_class: type[Driver] | None = None,
        first_views: tuple[InstanceView, ...] = (),
    ) -> None:
        """Create the app.

        Args:
            services: The opened services (the caller closes them), or the records alone
                (:func:`~claworc_tui.services.launch.open_records`): the app then connects
                after its first frame, and :meth:`aclose` closes what it opened.
            now: The clock (tests pass a fixed one).
            environ: The environment (SSH detection, $EDITOR); defaults to ``os.environ``.
            cursor_blink: Whether text cursors blink (off for deterministic snapshots).
            driver_class: Textual driver (tests pass one that records what is written).
            first_views: The instances as known now, for the first frame (with ``services``;
                a launch brings its own).
        """
        super().__init__(driver_class=driver_class)
        self._cursor_blink = cursor_blink
        self.failure: str | None = None
        """Why the app ended itself (the cluster or the engine cannot be used), or None."""
        self._connecting: asyncio.Task[None] | None = None
        self.key_typed_at: float | None = None
        """When the key being handled was typed (see :meth:`on_event`)."""
        if isinstance(services, Launch):
            launch, opened = services, None
        else:
            launch = Launch(
                config=services.config,
                store=services.store,
                runtime=services.runtime,
                views=first_views,
            )
            opened = services
        self.ctx = UiContext(
            launch=launch,
            now=now,
            environ=dict(os.environ if environ is None else environ),
            services=opened,
            first_views=launch.views,
        )
        self._main: MainScreen | None = None

    @property
    def services(self) -> Services:
        """The services in use.

        Raises:
            NotConnected: The app is still connecting.
        """
        if self.ctx.services is None:
            raise NotConnected()
        return self.ctx.services

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "quit_connecting":
            return not self.ctx.connected
        if action == "command_palette" and not self.ctx.connected:
            return None  # its commands act on the instances: they wait for the cluster too
        # `q` quits from the main screen only: elsewhere it goes back (Settings, drift, help
        # bind it themselves), and in a dialog it must not throw away what was typed.
        return action != "quit" or isinstance(self.screen, MainScreen)

    def action_quit_connecting(self) -> None:
        """Quit while connecting (what was opened is closed on the way out)."""
        self.exit()

    def get_default_screen(self) -> Screen[None]:
        self._main = MainScreen(self.ctx)
        return self._main

    async def switch_services(self, services: Services) -> None:
        """Run on ``services`` from now on (``:ns``, ``:ctx``); the old ones are closed."""
        old = self.services
        self.ctx = replace(self.ctx, services=services, first_views=())
        screen = MainScreen(self.ctx)
        if len(self.screen_stack) > 1:
            await self.switch_screen(screen)
        else:
            # The first main screen is the app's default screen, which cannot be switched
            # away: stop its streams and cover it with the new one.
            self.workers.cancel_node(self.screen)
            await self.push_screen(screen)
        await old.aclose()

    def on_mount(self) -> None:
        for warning in self.ctx.warnings:
            toast(self, warning, title="Warning", severity="warning", timeout=8)
        if self.ctx.connected:
            self._connected()
        else:
            # After the first frame is on screen: importing and opening the client is the
            # slow part of a start (services/launch.py).
            self.call_after_refresh(self._start_connecting)

    def _start_connecting(self) -> None:
        """Open the cluster in a task of the app's, which :meth:`aclose` cancels and waits
        for (a worker is cancelled as the app closes and not waited for: the database thread
        then called back into a closed event loop)."""
        if self._connecting is None and self.is_running:
            self._connecting = asyncio.create_task(self._connect(), name="connect")

    async def _connect(self) -> None:
        try:
            services = await connect(self.ctx.launch)
        except ClaworcError as exc:  # the kubeconfig or the engine: said after the app ends
            self.failure = safe_text(exc, multiline=True)
            self.exit(1)
            return
        except Exception as exc:  # a bug: never a screen stuck on "connecting"
            log.exception("could not connect")
            self.failure = safe_text(f"could not connect: {type(exc).__name__}: {exc}")
            self.exit(1)
            return
        known = set(self.ctx.warnings)
        self.ctx = replace(self.ctx, services=services)  # from now on closed by aclose()
        if self._exit or self._main is None:
            return  # quitting: the services only need closing
        for warning in self.ctx.warnings:
            if warning not in known:
                toast(self, warning, title="Warning", severity="warning", timeout=8)
        self._main.connected(self.ctx)
        self._connected()

    def _connected(self) -> None:
        if self.ctx.read_only_reason:
            toast(self, self.ctx.read_only_reason, title="Read-only", timeout=6)
        self.refresh_bindings()
        self.set_timer(0.5, self._freeze_startup_objects)

    def _freeze_startup_objects(self) -> None:
        """Move everything alive after the start out of the collector's reach.

        The app keeps ~170 000 long-lived objects (widgets, styles, compiled CSS, the client's
        modules). Every full collection walked them all, stalling the loop 60-230 ms several
        times a second during a log flood (bench/logs.py, bench/status.py). Frozen, they are
        never scanned again; what is created later is collected as usual.
        """
        gc.collect()
        gc.freeze()
        gc.enable()  # off while starting (see __main__)

    def on_unmount(self) -> None:
        # Hand the frozen objects back, so an app that has gone can be collected (tests run
        # many apps in one process).
        gc.unfreeze()
        gc.enable()

    async def aclose(self) -> None:
        """After the app ended: stop connecting, and close the services, or the records when
        it never connected. For an app made with opened services, the caller closes them."""
        task, self._connecting = self._connecting, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task  # connect() closes what it opened when cancelled
        if self.ctx.services is not None:
            await self.ctx.services.aclose()
        else:
            await self.ctx.launch.store.aclose()

    async def on_event(self, event: events.Event) -> None:
        # What is pasted is text from outside too: every field (the filter, the forms, the
        # config editor) gets it with control characters replaced, so none is ever drawn.
        if isinstance(event, events.Paste) and not event.is_forwarded:
            event.text = safe_text(event.text, multiline=True)
        if isinstance(event, events.Key):
            # When the key was typed, for bindings that must not take type-ahead (a key that
            # reached a widget of the screen below before a question covered it comes back to
            # the app and would run the question's binding: see ConfirmModal).
            self.key_typed_at = event.time
        await super().on_event(event)

    @on(events.DescendantFocus)
    def _no_blink(self, event: events.DescendantFocus) -> None:
        widget = event.widget
        if not self._cursor_blink and is_text_field(widget):
            widget.cursor_blink = False  # type: ignore[attr-defined]

    @on(ServiceFailed)
    def show_failure(self, message: ServiceFailed) -> None:
        """The one place failures are reported: a toast, or a modal for destructive ones."""
        text = said(message.error)  # with what to do about it, worded for this app
        if message.destructive:
            from claworc_tui.ui.screens.confirm import ConfirmModal

            self.push_screen(ConfirmModal(f"Could not {message.op}", text, "OK"))
        else:
            toast(self, text, title=f"Could not {message.op}", severity="error", timeout=8)


async def _run(settings: Settings) -> int:
    try:
        launch = await open_records(settings)
    except ClaworcError as exc:
        print(f"claworc-tui: {safe_text(exc, multiline=True)}", file=sys.stderr)
        return 1
    app = ClaworcApp(launch)
    try:
        result = await app.run_async()
    finally:
        # :ns and :ctx swap the services: the ones in use at the end are closed.
        await app.aclose()
    if app.failure is not None:
        print(f"claworc-tui: {app.failure}", file=sys.stderr)
        return 1
    return result or 0


def run_app(settings: Settings) -> int:
    """Open the records, run the app (it connects to the cluster), close all; the exit code."""
    return asyncio.run(_run(settings))
