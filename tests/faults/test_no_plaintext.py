"""No plaintext key anywhere after a full session on the real app.

A session through Pilot sets the three global keys in Settings, creates an instance with its own
key, opens the detail, the settings again and the activity pane, copies both URLs (over "SSH", so
they go out as OSC 52), follows the logs and quits — with the app's log file at DEBUG. Then the
full keys, and their base64 (what a Secret carries), are searched for in: the database file and
its -wal/-shm (copied just before quitting, and again after closing), the app's log files, every
file in ``snapshots/``, a screen dump of every screen visited, everything written to the terminal
and every toast. None may appear. The keys were really used: the emulator's Secrets hold them.
"""

from __future__ import annotations

import base64
import logging
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Button, Input

from claworc_emulator import EmulatorServer
from claworc_tui.app import ClaworcApp
from claworc_tui.logging_setup import setup_logging
from claworc_tui.models.instance import Provider
from claworc_tui.services import Services
from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.create import CreateInstanceModal
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.screens.settings import SettingsScreen
from claworc_tui.ui.widgets.instance_list import InstanceList
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import RecordingDriver, all_running
from tests.ui.harness import fixed_now, opened, running_emulator, seed, settings_for

SNAPSHOTS = Path(__file__).resolve().parents[2] / "snapshots"
SSH = {"SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22"}
GLOBAL_KEYS = {
    Provider.ANTHROPIC: f"sk-ant-api03-{secrets.token_urlsafe(30)}",
    Provider.OPENAI: f"sk-proj-{secrets.token_urlsafe(30)}",
    Provider.BRAVE: f"BSA{secrets.token_urlsafe(20)}",
}
#: The override has no known key shape, so the log's redacting filter cannot be what hides it.
OVERRIDE = f"override{secrets.token_hex(16)}"
ALL_KEYS = [*GLOBAL_KEYS.values(), OVERRIDE]


def forms(key: str) -> list[str]:
    """The key as it could leak: plain, and base64 (a Secret's data) with and without padding."""
    encoded = base64.b64encode(key.encode()).decode()
    return [key, encoded, encoded.rstrip("=")]


def hits(sources: dict[str, bytes]) -> list[str]:
    """Where any form of any key shows up."""
    found = []
    for where, data in sources.items():
        for key in ALL_KEYS:
            for form in forms(key):
                if form.encode() in data:
                    found.append(f"{where}: {form[:12]}…")
    return found


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    """Send the root logger to the app's log file at DEBUG, as ``--log-level DEBUG`` does."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield lambda path: setup_logging(path, "DEBUG")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def shows_masked(screen: Any, provider: Provider, key: str) -> Callable[[], bool]:
    """True once Settings shows ``key`` masked (its last four characters)."""
    masked = screen.query_one(f"#{provider.value}-masked")
    return lambda: key[-4:] in str(masked.render())


async def set_global_keys(pilot: Pilot[Any], dumps: list[str]) -> None:
    app = pilot.app
    await pilot.press("comma")
    screen = await wait_for_screen(pilot, SettingsScreen, timeout=15.0, what="settings")
    await wait_for(
        lambda: screen.query_one("#image", Input).value != "",
        pilot=pilot,
        timeout=15.0,
        what="settings loaded",
    )
    for provider, key in GLOBAL_KEYS.items():
        screen.query_one(f"#{provider.value}-input", Input).value = key
        dumps.append(app.export_screenshot())
        screen.query_one(f"#{provider.value}-set", Button).press()
        await wait_for_screen(pilot, ConfirmModal, timeout=15.0, what="offer to restart")
        dumps.append(app.export_screenshot())
        await pilot.press("n")
        await wait_for(
            shows_masked(screen, provider, key), pilot=pilot, timeout=15.0, what="the masked key"
        )
    dumps.append(app.export_screenshot())
    await pilot.press("escape")


async def create_with_override(pilot: Pilot[Any], dumps: list[str]) -> None:
    app = pilot.app
    await pilot.press("n")
    form = await wait_for_screen(pilot, CreateInstanceModal, timeout=15.0, what="the form")
    form.query_one("#display_name", Input).value = "Keyed"
    form.query_one(f"#{Provider.OPENAI.value}", Input).value = OVERRIDE
    dumps.append(app.export_screenshot())
    await pilot.press("ctrl+s")
    # The progress dialog closes by itself on success and the new instance is selected.
    await wait_for_screen(pilot, MainScreen, timeout=15.0, what="the create")
    await wait_for(
        lambda: app.screen.query_one(InstanceList).selected_name == "bot-keyed",
        pilot=pilot,
        timeout=15.0,
        what="selected",
    )
    dumps.append(app.export_screenshot())


async def look_around(pilot: Pilot[Any], dumps: list[str], toasts: list[str]) -> None:
    """Detail, copy both URLs, logs, activity, settings again."""
    app = pilot.app
    screen = app.screen
    assert isinstance(screen, MainScreen)
    listing = screen.instance_list
    await wait_for(
        lambda: "bot-keyed" in listing.views, pilot=pilot, timeout=15.0, what="the new row"
    )
    listing.focus()
    assert listing.select("bot-keyed")
    await pilot.press("enter")
    keys_pane = screen.query_one("#detail-keys")
    await wait_for(
        lambda: OVERRIDE[-4:] in str(keys_pane.render()),
        pilot=pilot,
        timeout=15.0,
        what="masked override",
    )
    dumps.append(app.export_screenshot())
    await pilot.press("escape", "c", "t")
    await wait_for(
        lambda: sum("URL of bot-keyed" in t for t in toasts) >= 2,
        pilot=pilot,
        timeout=15.0,
        what="two copies",
    )
    dumps.append(app.export_screenshot())
    await pilot.press("l")
    await wait_for(
        lambda: len(screen.log_pane.buffered) > 0, pilot=pilot, timeout=15.0, what="log lines"
    )
    dumps.append(app.export_screenshot())
    await pilot.press("a")
    await wait_for(
        lambda: screen.bottom == "activity", pilot=pilot, timeout=15.0, what="the activity pane"
    )
    await pilot.pause(0.3)
    dumps.append(app.export_screenshot())
    await pilot.press("comma")
    settings = await wait_for_screen(pilot, SettingsScreen, timeout=15.0, what="settings again")
    masked = settings.query_one(f"#{Provider.BRAVE.value}-masked")
    await wait_for(
        lambda: GLOBAL_KEYS[Provider.BRAVE][-4:] in str(masked.render()),
        pilot=pilot,
        timeout=15.0,
        what="masks",
    )
    dumps.append(app.export_screenshot())
    await pilot.press("escape")


def read_db_files(db: Path, label: str, into: dict[str, bytes], copy_to: Path | None) -> None:
    for suffix in ("", "-wal", "-shm"):
        path = db.with_name(db.name + suffix)
        if not path.exists():
            continue
        if copy_to is not None:  # copy first: the live files change under us
            path = Path(shutil.copy(path, copy_to / path.name))
        into[f"{label} {db.name}{suffix}"] = path.read_bytes()


@pytest.mark.slow
async def test_no_plaintext_key_anywhere_after_a_session(
    tmp_path: Path, debug_log: Callable[[Path], None]
) -> None:
    sources: dict[str, bytes] = {}
    dumps: list[str] = []
    toasts: list[str] = []
    async with running_emulator() as emulator:
        settings = settings_for(tmp_path, emulator)
        debug_log(settings.log_file)
        async with opened(settings) as services:
            await seed(services, "Alpha")
            await wait_for(lambda: all_running(services, 1), timeout=10, what="Alpha running")
            written = await run_session(services, dumps, toasts)
            copies = tmp_path / "copies"
            copies.mkdir()
            read_db_files(settings.db, "open", sources, copies)
            secrets_data = secret_values(emulator)
        read_db_files(settings.db, "closed", sources, None)
    logging.shutdown()
    for log_file in sorted(settings.log_file.parent.glob(settings.log_file.name + "*")):
        sources[f"log {log_file.name}"] = log_file.read_bytes()
    for snapshot in sorted(p for p in SNAPSHOTS.rglob("*") if p.is_file()):
        sources[f"snapshots/{snapshot.relative_to(SNAPSHOTS)}"] = snapshot.read_bytes()
    for i, dump in enumerate(dumps):
        sources[f"screen dump {i}"] = dump.encode()
    sources["terminal output"] = written.encode()
    sources["toasts"] = "\n".join(toasts).encode()

    # The session really used the keys: the cluster's Secrets carry them …
    for key in ALL_KEYS:
        assert key in secrets_data, "a key never reached the cluster: the session did not run"
    # … and we looked where they could have leaked.
    assert any(name.startswith("log ") and data for name, data in sources.items())
    assert "open claworc.db" in sources
    assert len(dumps) >= 10
    assert "\x1b]52;c;" in written  # the URLs went out as OSC 52
    assert not hits(sources), "\n".join(hits(sources))


async def run_session(services: Services, dumps: list[str], toasts: list[str]) -> str:
    """The whole session on the real app; returns what it wrote to the terminal."""

    def hook(message: object) -> None:
        if isinstance(message, Notify):
            toasts.append(f"{message.notification.title}: {message.notification.message}")

    app = ClaworcApp(
        services, now=fixed_now, environ=SSH, cursor_blink=False, driver_class=RecordingDriver
    )
    async with app.run_test(
        size=(120, 40), headless=False, notifications=True, message_hook=hook
    ) as pilot:
        listing = app.screen.query_one("InstanceList")
        await wait_for(
            lambda: getattr(listing, "row_count", 0) == 1,
            pilot=pilot,
            timeout=15.0,
            what="the list",
        )
        dumps.append(app.export_screenshot())
        await set_global_keys(pilot, dumps)
        await create_with_override(pilot, dumps)
        await look_around(pilot, dumps, toasts)
        driver = app._driver
        assert isinstance(driver, RecordingDriver)
        await pilot.press("q")
    return "".join(getattr(driver, "written", []))


def secret_values(emulator: EmulatorServer) -> str:
    """Every value of every Secret in the namespace, decoded."""
    values = []
    for secret in emulator.objects("secrets", "claworc"):
        for value in (secret.get("data") or {}).values():
            values.append(base64.b64decode(value).decode())
        values.extend((secret.get("stringData") or {}).values())
    return "\n".join(values)
