"""ClaworcApp: wiring only — the services in, the main screen up, failures reported in one place."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import PurePath
from typing import ClassVar

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.screen import Screen
from textual.widgets import Input, Static, TextArea

from claworc_tui.config import Settings
from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.text import safe_text
from claworc_tui.paths import stylesheet
from claworc_tui.services import Services, open_services
from claworc_tui.services.views import InstanceView
from claworc_tui.ui.context import UiContext
from claworc_tui.ui.messages import ServiceFailed
from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.text import toast

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
        first_views: tuple[InstanceView, ...] = (),
    ) -> None:
        """Create the app.

        Args:
            services: The opened services (the caller closes them).
            now: The clock (tests pass a fixed one).
            environ: The environment (SSH detection, $EDITOR); defaults to ``os.environ``.
            cursor_blink: Whether text cursors blink (off for deterministic snapshots).
            driver_class: Textual driver (tests pass one that records what is written).
            first_views: The instances as known now, for the first frame (see :func:`_open`).
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
            warnings=(
                *services.warnings,
                *(f"finished at start (start-up sweep): {line}" for line in services.swept),
            ),
            log_buffer_lines=services.config.log_buffer_lines,
            reach=services.reach,
            first_views=first_views,
            runtime=services.runtime.value,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # `q` quits from the main screen only: elsewhere it goes back (Settings, drift, help
        # bind it themselves), and in a dialog it must not throw away what was typed.
        return action != "quit" or isinstance(self.screen, MainScreen)

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self.ctx)

    async def switch_services(self, services: Services) -> None:
        """Run on ``services`` from now on (``:ns``, ``:ctx``); the old ones are closed."""
        old, self.services = self.services, services
        self.ctx = replace(
            self.ctx,
            ops=services.instances,
            context_name=services.context_name,
            namespace=services.namespace,
            read_only_reason=services.read_only_reason,
            warnings=tuple(services.warnings),
            reach=services.reach,
            first_views=(),
            runtime=services.runtime.value,
        )
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
        self.set_timer(0.5, self._freeze_startup_objects)
        for warning in self.ctx.warnings:
            toast(self, warning, title="Warning", severity="warning", timeout=8)
        if self.ctx.read_only_reason:
            toast(self, self.ctx.read_only_reason, title="Read-only", timeout=6)

    def _freeze_startup_objects(self) -> None:
        """Move everything alive after the first frame out of the collector's reach.

        The app keeps ~170 000 long-lived objects (widgets, styles, compiled CSS). Every full
        collection walked them all, stalling the loop 60-230 ms several times a second during a
        log flood (bench/logs.py, bench/status.py). Frozen, they are never scanned again;
        what is created later is collected as usual.
        """
        gc.collect()
        gc.freeze()
        gc.enable()  # off while starting (see __main__)

    def on_unmount(self) -> None:
        # Hand the frozen objects back, so an app that has gone can be collected (tests run
        # many apps in one process).
        gc.unfreeze()
        gc.enable()

    async def on_event(self, event: events.Event) -> None:
        # What is pasted is text from outside too: every field (the filter, the forms, the
        # config editor) gets it with control characters replaced, so none is ever drawn.
        if isinstance(event, events.Paste) and not event.is_forwarded:
            event.text = safe_text(event.text, multiline=True)
        await super().on_event(event)

    @on(events.DescendantFocus)
    def _no_blink(self, event: events.DescendantFocus) -> None:
        if not self._cursor_blink and isinstance(event.widget, Input | TextArea):
            event.widget.cursor_blink = False

    @on(ServiceFailed)
    def show_failure(self, message: ServiceFailed) -> None:
        """The one place failures are reported: a toast, or a modal for destructive ones."""
        text = str(message.error) or type(message.error).__name__
        if message.destructive:
            self.push_screen(ConfirmModal(f"Could not {message.op}", text, "OK"))
        else:
            toast(self, text, title=f"Could not {message.op}", severity="error", timeout=8)


CONNECTING_AFTER = 0.25
"""Seconds to wait for the records and the cluster before showing "connecting…"."""


class ConnectingApp(App[Services | None]):
    """The first frame, at once: "connecting…" while the records and the cluster are opened.

    An API server that accepts connections and never answers would otherwise leave a blank
    terminal until the start-up checks time out. Ctrl+C, q or escape quit cleanly (whatever
    was opened is closed). Returns the opened services, or None (quit, or :attr:`error`).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c,ctrl+q,q,escape", "give_up", "Quit", priority=True),
    ]
    DEFAULT_CSS = """
    ConnectingApp { align: center middle; }
    #connecting { width: auto; height: auto; padding: 1 4; border: round $primary; }
    """

    def __init__(self, settings: Settings, opening: asyncio.Task[Opened]) -> None:
        super().__init__()
        self.settings = settings
        self.opening = opening
        """Opening the services: a task of the caller's, not a worker, so that quitting while
        it runs lets the caller cancel it and wait for what it opened to be closed (a worker
        is cancelled as the app closes and not waited for: the database thread then called
        back into a closed event loop)."""
        self.quit_asked = False

    def compose(self) -> ComposeResult:
        context = self.settings.context
        where = f"context {safe_text(context)}" if context else "the cluster"
        yield Static(
            f"claworc — connecting to {where} (namespace {safe_text(self.settings.namespace)})…"
            "\n\n"
            "ctrl+c quits",
            id="connecting",
            markup=False,
        )

    def on_mount(self) -> None:
        self.opening.add_done_callback(lambda _: self.exit(None))

    def action_give_up(self) -> None:
        """Quit while connecting."""
        self.quit_asked = True
        self.exit(None)


Opened = tuple[Services, tuple[InstanceView, ...]]


async def _open(settings: Settings) -> Opened:
    """Open the services and read the instances, so that the first frame shows the list.

    Reading them starts the fleet's pod list too, while Textual starts (the rows say their
    status is not known yet until it comes). A failure to read them here is left to the
    fleet stream to report on screen; the app starts with an empty list.
    """
    services = await open_services(settings)
    try:
        views = tuple(await services.instances.list_views())
    except ClaworcError:
        views = ()
    except BaseException:  # cancelled (Ctrl+C while connecting): close what was opened
        await services.aclose()
        raise
    return services, views


async def _run(settings: Settings) -> int:
    opening = asyncio.create_task(_open(settings))
    # A healthy cluster answers within tens of milliseconds: then the list is the first frame.
    # Only when it does not, "connecting…" is shown (its own Textual app: starting one costs a
    # few hundred milliseconds, which a fast start should not pay twice).
    await asyncio.wait({opening}, timeout=CONNECTING_AFTER)
    starter = ConnectingApp(settings, opening)
    if not opening.done():
        await starter.run_async()
    if not opening.done():  # the user quit while connecting
        opening.cancel()
    try:
        services, views = await opening  # _open closes what it opened when cancelled
    except asyncio.CancelledError:
        return 0
    except ClaworcError as exc:
        if starter.quit_asked:
            return 0
        print(f"claworc-tui: {safe_text(exc, multiline=True)}", file=sys.stderr)
        return 1
    if starter.quit_asked:  # the services opened just as the user quit
        await services.aclose()
        return 0
    app: ClaworcApp | None = None
    try:
        app = ClaworcApp(services, first_views=views)
        result = await app.run_async()
    finally:
        # :ns and :ctx swap the services: close the ones in use at the end.
        await (services if app is None else app.services).aclose()
    return result or 0


def run_app(settings: Settings) -> int:
    """Open the services, run the app, close the services; return the exit code."""
    return asyncio.run(_run(settings))
