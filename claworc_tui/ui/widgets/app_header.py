"""The one-line header: app, cluster context, namespace, connection state, mode badges."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from claworc_tui.services.views import Connection, ConnectionState
from claworc_tui.ui.format import truncate
from claworc_tui.ui.text import fmt, plain

_CONNECTION = {
    ConnectionState.CONNECTING: ("◌", "connecting", "-connecting"),
    ConnectionState.LIVE: ("●", "live", "-live"),
    ConnectionState.RECONNECTING: ("◌", "reconnecting", "-retrying"),
    ConnectionState.UNREACHABLE: ("✖", "unreachable", "-error"),
    ConnectionState.FAILED: ("✖", "refused", "-error"),
}


class AppHeader(Horizontal):
    """Shows where the app is pointed and whether the live view can be trusted."""

    connection: reactive[Connection] = reactive(
        Connection(state=ConnectionState.CONNECTING), always_update=True
    )
    """State of the shared pod watch."""
    read_only_reason: reactive[str | None] = reactive(None)
    """Why writes are disabled, or None."""
    demo: reactive[bool] = reactive(False)
    """Whether the app runs against the built-in emulated cluster."""

    def __init__(
        self, context: str, namespace: str, *, runtime: str = "kubernetes", id: str | None = None
    ) -> None:
        """Create the header.

        Args:
            context: Kubeconfig context name.
            namespace: Namespace of the instances (the engine's address on Docker).
            runtime: ``kubernetes`` or ``docker``.
            id: DOM id.
        """
        super().__init__(id=id)
        self._context_name = context
        self._ns = namespace
        self._runtime = runtime

    def compose(self) -> ComposeResult:
        yield Static("[b]claworc[/b]", id="header-title")
        yield Static(self._where(), id="header-cluster")
        yield Static("", id="header-connection")
        yield Static("DEMO", id="header-demo", classes="badge")
        yield Static("READ-ONLY", id="header-read-only", classes="badge")

    def _where(self) -> Content:
        if self._runtime == "docker":
            return fmt("docker [b]$engine[/b]", engine=self._ns)
        return fmt("ctx [b]$context[/b]  ns [b]$ns[/b]", context=self._context_name, ns=self._ns)

    def show_place(self, context: str, namespace: str) -> None:
        """Show the context and namespace (known once the app is connected)."""
        self._context_name, self._ns = context, namespace
        self.query_one("#header-cluster", Static).update(self._where())

    def on_mount(self) -> None:
        # A header on a pushed screen (settings, drift) shows what the main one last knew.
        for screen in self.app.screen_stack:
            for header in screen.query(AppHeader):
                if header is not self and header.connection.state is not ConnectionState.CONNECTING:
                    self.connection = header.connection
                    return

    def watch_connection(self, connection: Connection) -> None:
        glyph, label, css = _CONNECTION[connection.state]
        text = f"{glyph} {label}"
        if connection.attempt and connection.state is ConnectionState.RECONNECTING:
            text += f" (attempt {connection.attempt})"
        if connection.reason and connection.state is not ConnectionState.LIVE:
            text += f": {truncate(connection.reason, 80)}"
        widget = self.query_one("#header-connection", Static)
        widget.update(plain(text))
        widget.tooltip = plain(connection.reason, multiline=True) if connection.reason else None
        for _, _, other in _CONNECTION.values():
            widget.remove_class(other)
        widget.add_class(css)

    def watch_read_only_reason(self, reason: str | None) -> None:
        badge = self.query_one("#header-read-only", Static)
        badge.display = reason is not None
        badge.tooltip = plain(reason, multiline=True) if reason else None

    def watch_demo(self, demo: bool) -> None:
        self.query_one("#header-demo", Static).display = demo
