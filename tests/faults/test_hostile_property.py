"""Property: whatever text the cluster, a pod, the database or a user supplies, no terminal
control from it reaches the screen or the CLI's output, no markup in it becomes an action, and
nothing crashes.

Hypothesis generates one hostile string per field (``tests.hostile``: OSC 52, CSI, OSC 8, their
C1 forms, bidi overrides, markup ``escape()`` missed, random controls). Each example builds a
real fleet — a SQLite file and the emulator over HTTP — and puts them where they come from:

* the database: bot-alpha's display name, its clawdbot.json (a JSON string holding the text),
  and a setting (``node_host``) no form would accept;
* the cluster: an Event about bot-alpha's pod (reason and message), the termination message of
  bot-beta's crashing container, log lines of bot-alpha, an API server's error on every PATCH.

Then the app runs (list, detail, log pane, a failed stop's toast, the activity pane, the config
editor, the settings screen) and every frame is checked; and the CLI runs (``ls``, ``logs``,
``stop``, ``url``, ``settings get``) and its stdout and stderr are checked.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from textual.app import App

from claworc_emulator import EmulatorServer
from claworc_tui.app import ClaworcApp
from claworc_tui.config import Settings
from claworc_tui.services import open_services
from claworc_tui.ui.screens.main import MainScreen
from tests._support.wait import wait_for
from tests.faults.cli_proc import spawn
from tests.hostile import bad_chars, hostile_field, hostile_text, leaked
from tests.lifecycle.test_cli import KEY
from tests.ui.conftest import all_running, pod_of
from tests.ui.harness import fixed_now, running_emulator, seed, settings_for

NS = "claworc"
FIELDS = st.fixed_dictionaries(
    {
        "display": hostile_field(),
        "config": hostile_text(),
        "node_host": hostile_field(),
        "event_reason": hostile_field(20),
        "event_message": hostile_text(),
        "termination": hostile_field(),
        "log": st.lists(hostile_text(), min_size=1, max_size=4),
        "api_error": hostile_field(),
    }
)


def frame(app: App[Any]) -> tuple[list[str], str]:
    """The characters of the frame, and the bytes a terminal would receive for it."""
    compositor = app.screen._compositor
    lines = ["".join(seg.text for seg in strip) for strip in compositor.render_strips()]
    return lines, compositor.render_full_update().render_segments(app.console)


def shows(app: App[Any], text: str) -> bool:
    return any(text in line for line in frame(app)[0])


def actions(app: App[Any]) -> set[str]:
    """Every click action a segment of the frame carries (markup parsed from text adds some)."""
    found: set[str] = set()
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            meta = segment.style.meta if segment.style else {}
            if "@click" in meta:
                found.add(str(meta["@click"]))
    return found


class Checker:
    """Checks frames as the app draws them; remembers the click actions we draw ourselves."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.seen = 0

    def check(self, where: str) -> None:
        lines, raw = frame(self.app)
        assert bad_chars(lines) == [], f"{where}:\n" + "\n".join(lines)
        assert leaked(raw) == [], where
        foreign = {a for a in actions(self.app) if not a.startswith(OUR_ACTIONS)}
        assert not foreign, f"{where}: click actions from text: {foreign}"
        assert not self.app._exit, where
        self.seen += 1


#: Click actions of Textual's own widgets (the footer's keys, the palette's icon).
OUR_ACTIONS = ("app.", "screen.", "focused.")


def storable(text: str) -> str:
    """``text`` without lone surrogates: SQLite and a pod's log (bytes) cannot hold them; JSON
    from the API server can (``"\\ud800"``), so cluster fields keep them."""
    return "".join(char for char in text if not 0xD800 <= ord(char) <= 0xDFFF)


def poison_database(db: Path, fields: dict[str, Any]) -> None:
    config = json.dumps({"note": storable(fields["config"])}, ensure_ascii=False)
    with sqlite3.connect(db) as raw:
        raw.execute(
            "UPDATE instances SET display_name = ?, clawdbot_config = ? WHERE name = 'bot-alpha'",
            (storable(fields["display"]), config),
        )


def poison_settings(db: Path, fields: dict[str, Any]) -> None:
    with sqlite3.connect(db) as raw:
        raw.execute(
            "INSERT OR REPLACE INTO settings (key, value) VALUES ('node_host', ?)",
            (storable(fields["node_host"]),),
        )


def poison_cluster(emulator: EmulatorServer, fields: dict[str, Any], alpha_pod: str) -> None:
    emulator.emit_event(
        NS, alpha_pod, "Warning", fields["event_reason"], fields["event_message"] or "x"
    )
    emulator.append_log(NS, alpha_pod, ["first line", *map(storable, fields["log"])])
    emulator.config.crash_backoff = 30
    emulator.termination_message(NS, "bot-beta", fields["termination"])
    emulator.crash_loop(NS, "bot-beta")
    emulator.inject_failure(
        "PATCH",
        "deployments",
        status=500,
        reason="InternalError",
        message=fields["api_error"],
        times=1000,
    )


async def run_app(config: Settings, emulator: EmulatorServer) -> None:
    async with (
        _services(config) as services,
    ):
        app = ClaworcApp(services, now=fixed_now, environ={}, cursor_blink=False)
        async with app.run_test(size=(160, 50), notifications=True) as pilot:
            check = Checker(app)
            screen = app.screen
            assert isinstance(screen, MainScreen)
            listing = screen.instance_list
            await wait_for(lambda: listing.row_count == 2, timeout=10.0, what="the list")
            await wait_for(
                lambda: (
                    "Running" not in listing.cell_text("bot-beta", "status")
                    or listing.views["bot-beta"].restarts > 0
                ),
                timeout=10.0,
                what="bot-beta's crash",
            )
            check.check("the list")
            await pilot.press("enter")
            # Details, or (the node_host in the database is not valid) the toast saying so.
            await wait_for(
                lambda: screen.detail.details is not None or shows(app, "Could not"),
                timeout=10.0,
                what="details",
            )
            await pilot.pause(0.1)
            check.check("the detail pane")
            await pilot.press("l")
            await wait_for(
                lambda: screen.log_pane.view.line_count >= 2, timeout=10.0, what="log lines"
            )
            await pilot.pause(0.1)
            check.check("the log pane")
            screen.instance_list.focus()
            await pilot.press("x")
            await pilot.pause(0.3)
            await pilot.press("y")
            await wait_for(lambda: shows(app, "Could not stop"), timeout=10.0, what="the toast")
            check.check("the failure toast")
            await pilot.press("a")
            await wait_for(
                lambda: screen.bottom == "activity", timeout=10.0, what="the activity pane"
            )
            await pilot.pause(0.3)
            check.check("the activity pane")
            screen.instance_list.focus()
            await pilot.press("e")
            await pilot.pause(0.5)
            check.check("the config editor")
            await pilot.press("escape")
            await pilot.pause(0.2)
            await pilot.press("comma")
            await pilot.pause(0.5)
            check.check("the settings screen")
            assert not app._exit


def _services(config: Settings) -> Any:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def opened() -> Any:
        services = await open_services(config)
        try:
            yield services
        finally:
            await services.aclose()

    return opened()


async def run_cli(config: Settings) -> None:
    for args in (
        ("ls",),
        ("logs", "bot-alpha"),
        ("stop", "bot-alpha"),
        ("url", "bot-alpha"),
        ("settings", "get"),
    ):
        proc = await spawn(config, KEY, *args)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        text = out.decode() + err.decode()
        assert bad_chars([text]) == [], f"claworc-tui {' '.join(args)}: {text!r}"
        assert "Traceback" not in text, text
        assert proc.returncode in (0, 1, 2), text


async def scenario(folder: Path, fields: dict[str, Any]) -> None:
    async with running_emulator() as emulator:
        config = settings_for(folder, emulator).model_copy(update={"fernet_key": SecretStr(KEY)})
        async with _services(config) as services:
            await seed(services, "Alpha", "Beta")
            await wait_for(lambda: all_running(services, 2), timeout=10.0)
        poison_database(config.db, fields)
        poison_cluster(emulator, fields, pod_of_emulator(emulator, "bot-alpha"))
        poison_settings(config.db, fields)
        await run_app(config, emulator)
        await run_cli(config)


def pod_of_emulator(emulator: EmulatorServer, instance: str) -> str:
    class _Env:
        pass

    env: Any = _Env()
    env.emulator = emulator
    return pod_of(env, instance)


@pytest.mark.slow
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fields=FIELDS)
def test_hostile_text_never_controls_the_terminal(fields: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory(prefix="claworc-hostile-") as folder:
        asyncio.run(asyncio.wait_for(scenario(Path(folder), fields), timeout=100))
