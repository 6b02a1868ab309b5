"""Command palette (ctrl+p): screen commands and instance-aware ones ("restart bot-alpha")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from claworc_tui.models.text import safe_text

if TYPE_CHECKING:
    from claworc_tui.ui.screens.main import MainScreen

#: (text, help, action on the screen, writes?)
_SCREEN_COMMANDS: tuple[tuple[str, str, str, bool], ...] = (
    ("new instance", "create a bot instance", "new_instance", True),
    ("open settings", "global keys, defaults, image, ports", "settings", False),
    ("repair drift", "what differs between the records and the cluster", "drift", False),
    ("show activity", "what the app did, with the Kubernetes calls", "toggle_activity", False),
    ("toggle logs", "follow the selected instance's logs", "toggle_logs", False),
    ("filter instances", "show only matching instances", "filter", False),
    ("help", "every key", "help", False),
    ("show events", "events of the namespace, newest first", "namespace_events", False),
    ("show events of the selected instance", "its objects and pods", "events", False),
    ("switch namespace", "the app on another namespace (:ns NAME)", "command_mode('ns ')", False),
    ("switch context", "another kubeconfig context (:ctx NAME)", "command_mode('ctx ')", False),
    ("show port-forwards", "every forward, its URL and the ssh -L line", "forwards", False),
    ("quit", "leave the app (forwards stop)", "app.quit", False),
)
#: (template, help, action for MainScreen.run_for, writes?)
_INSTANCE_COMMANDS: tuple[tuple[str, str, str, bool], ...] = (
    ("start {}", "start the instance", "start", True),
    ("stop {}", "stop the instance (data stays)", "stop", True),
    ("restart {}", "replace the pod", "restart", True),
    ("delete {}", "destroy the instance and its data (asks first)", "delete", True),
    ("edit config of {}", "clawdbot.json", "edit_config", True),
    ("clone {}", "a new instance from this one: new ports, empty volumes (N)", "clone", True),
    (
        "redeploy {}",
        "a new image or the same pulled again; the data stays (U)",
        "redeploy_one",
        True,
    ),
    ("show logs of {}", "follow the logs", "toggle_logs", False),
    ("copy Chrome URL of {}", "noVNC Chrome", "chrome", False),
    ("copy terminal URL of {}", "noVNC terminal", "terminal", False),
    ("open {}", "show the detail", "open_detail", False),
    ("shell into {}", "a terminal in its container (S)", "shell", False),
    ("forward ports of {}", "its noVNC pages on 127.0.0.1 (F)", "forward", False),
    ("show YAML of {}", "its objects as the server has them (y)", "yaml", False),
    ("show events of {}", "what the cluster reported about it (E)", "events", False),
    ("make {} private", "ClusterIP only, reached through a forward", "expose('private')", True),
    ("expose {} on NodePorts", "its NodePort pair again", "expose('nodeport')", True),
    ("copy name of {}", "the instance name", "copy_item('instance name')", False),
    ("copy pod name of {}", "its current pod", "copy_item('pod name')", False),
    ("copy kubectl exec command of {}", "a shell with kubectl", "copy_item('kubectl exec')", False),
    ("copy kubectl logs command of {}", "follow with kubectl", "copy_item('kubectl logs')", False),
)

#: ``:`` command mode (k9s style): word -> (text of a screen command above, argument kind).
#: The palette and ``:`` share the table above; ``:`` only gives its commands short names.
COLON_COMMANDS: dict[str, tuple[str, str | None]] = {
    "ctx": ("switch context", "context"),
    "ns": ("switch namespace", "namespace"),
    "events": ("show events", None),
    "activity": ("show activity", None),
    "drift": ("repair drift", None),
    "forwards": ("show port-forwards", None),
    "settings": ("open settings", None),
    "help": ("help", None),
    "new": ("new instance", None),
    "q": ("quit", None),
}
#: ``:WORD [NAME]`` for one instance (the selected one without NAME) -> the action of the
#: instance commands above.
INSTANCE_WORDS: dict[str, str] = {
    "start": "start",
    "stop": "stop",
    "restart": "restart",
    "delete": "delete",
    "edit": "edit_config",
    "clone": "clone",
    "redeploy": "redeploy_one",
    "logs": "toggle_logs",
    "shell": "shell",
    "forward": "forward",
    "yaml": "yaml",
    "private": "expose('private')",
    "nodeport": "expose('nodeport')",
}


def _offered(
    table: tuple[tuple[str, str, str, bool], ...], read_only: bool
) -> list[tuple[str, str, str]]:
    """The (text, help, action) of the commands in ``table`` this run offers: in read-only mode
    not the ones that write (the palette lists only what it can run)."""
    return [
        (text, help_text, action)
        for text, help_text, action, writes in table
        if not (writes and read_only)
    ]


def screen_action(text: str) -> str:
    """The action of the screen command called ``text`` (a KeyError is a bug in the tables)."""
    return next(action for t, _, action, _ in _SCREEN_COMMANDS if t == text)


class InstanceCommands(Provider):
    """Commands of the main screen, for every instance it knows."""

    @property
    def _main(self) -> MainScreen | None:
        from claworc_tui.ui.screens.main import MainScreen

        screen = self.screen
        return screen if isinstance(screen, MainScreen) else None

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        main = self._main
        if main is None:
            return
        read_only = main.ctx.read_only
        for text, help_text, action in _offered(_SCREEN_COMMANDS, read_only):
            yield text, help_text, partial(main.run_action, action)
        per_instance = _offered(_INSTANCE_COMMANDS, read_only)
        for name in sorted(main.instance_list.views):
            for template, help_text, action in per_instance:
                yield template.format(name), help_text, partial(main.run_for, name, action)

    async def discover(self) -> Hits:
        main = self._main
        if main is None:
            return
        for text, help_text, action in _offered(_SCREEN_COMMANDS, main.ctx.read_only):
            yield DiscoveryHit(text, partial(main.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        # A cheap pre-check keeps a thousand instances × nine commands responsive: the fuzzy
        # matcher only sees commands that contain every letter typed.
        letters = set(query.lower().replace(" ", ""))
        for text, help_text, callback in self._commands():
            lowered = text.lower()
            if not all(letter in lowered for letter in letters):
                continue
            score = matcher.match(text)
            if score > 0:
                # The matcher's highlight parses markup: only for text without a "[" (an
                # instance name read from the database could hold one).
                shown = safe_text(text)
                display = matcher.highlight(shown) if "[" not in shown else Content(shown)
                yield Hit(score, display, callback, text=shown, help=help_text)
