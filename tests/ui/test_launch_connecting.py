"""Records first, cluster after (issue 17): the app draws the list from the records, then connects.

Everything that the start did before still happens, now after the first frame: the read-only
and RBAC detection with its toast, the start-up warnings, the "connecting" state (in the
header), Ctrl+C while connecting, and a kubeconfig that cannot be used still ends the start
with its message and exit code 1.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from claworc_tui.app import ClaworcApp, _run
from claworc_tui.crypto.sealing import new_key
from claworc_tui.services.launch import open_records
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.widgets.app_header import AppHeader
from tests._support.wait import wait_for
from tests.ui.conftest import RecordingDriver
from tests.ui.harness import run_start_script, running_emulator, seeded, settings_for
from tests.ui.test_idle_bytes import FrameRecorder

#: Every request the emulator answers is held this long: the cluster is slow.
SLOW = 1.0


def _toasts(app: ClaworcApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def _header(app: ClaworcApp) -> str:
    widget = app.screen.query_one(AppHeader).query_one("#header-connection")
    return str(widget.render())


async def test_the_list_is_drawn_before_the_cluster_answers_then_status_fills_in(
    tmp_path: Path,
) -> None:
    async with seeded(tmp_path, "Alpha", "Beta") as (emulator, settings):
        emulator.delay("*", ".", SLOW)  # every answer of the cluster comes late
        app = ClaworcApp(await open_records(settings), driver_class=FrameRecorder)
        try:
            async with app.run_test(size=(120, 30), headless=False) as pilot:
                driver = app._driver
                assert isinstance(driver, FrameRecorder)
                first = await wait_for(
                    lambda: next((f for f in driver.written if "NAME" in f), None),
                    pilot=pilot,
                    what="the first frame with the list",
                )
                assert "bot-alpha" in first
                assert "bot-beta" in first
                assert "connecting" in first  # the header says so, in the same frame
                assert "Running" not in first  # no status is claimed before the cluster's
                screen = app.screen
                assert isinstance(screen, MainScreen)
                await wait_for(
                    lambda: all(v.tone.value == "ok" for v in screen.instance_list.views.values()),
                    pilot=pilot,
                    timeout=60,
                    what="live status on both rows",
                )
                assert app.ctx.connected
                await wait_for(lambda: "live" in _header(app), pilot=pilot, timeout=30)
        finally:
            await app.aclose()
        assert app.ctx.launch.store.db._conn is None  # everything closed


_FIRST_FRAME_MODULES = """
import asyncio, json, sys
from pathlib import Path
from textual.drivers.headless_driver import HeadlessDriver
from claworc_tui.app import ClaworcApp
from claworc_tui.config import Settings
from claworc_tui.services.launch import open_records

seen: dict[str, list[str]] = {}

class Terminal(HeadlessDriver):
    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        if "bot-first" in data and "first" not in seen:
            seen["first"] = sorted(sys.modules)

async def main() -> None:
    args = json.loads(sys.argv[1])
    settings = Settings(
        db=Path(args["db"]), kubeconfig=args["kubeconfig"], namespace=args["namespace"],
        config_dir=Path(args["config_dir"]), state_dir=Path(args["state_dir"]),
    )
    app = ClaworcApp(await open_records(settings), driver_class=Terminal)
    try:
        async with app.run_test(size=(120, 30), headless=False) as pilot:
            for _ in range(3000):
                if app.ctx.connected and "first" in seen:
                    break
                await pilot.pause(0.01)
            seen["connected"] = sorted(sys.modules)
    finally:
        await app.aclose()
    print(json.dumps(seen))

asyncio.run(main())
"""


async def test_the_first_frame_is_drawn_without_aiohttp_nor_the_kubernetes_client(
    tmp_path: Path,
) -> None:
    async with seeded(tmp_path, "First") as (_, settings):
        seen = await run_start_script(_FIRST_FRAME_MODULES, settings, tmp_path)
    heavy = ("aiohttp", "kubernetes_asyncio", "yaml", "urllib3", "claworc_tui.k8s.client")
    first = seen["first"]
    assert not [m for m in first if m.startswith(heavy)]
    assert "claworc_tui.services.opening" not in first
    connected = seen["connected"]
    assert "aiohttp" in connected  # imported after the first frame, to connect
    assert "kubernetes_asyncio.client.api.core_v1_api" in connected


async def test_rbac_read_only_and_warnings_are_shown_once_connected(tmp_path: Path) -> None:
    async with seeded(tmp_path, "Alpha") as (emulator, settings):
        for verb in ("create", "update", "patch", "delete"):
            for resource in ("deployments", "deployments/scale", "persistentvolumeclaims"):
                emulator.forbid(verb, resource)
            for resource in ("secrets", "configmaps", "services"):
                emulator.forbid(verb, resource)
        app = ClaworcApp(await open_records(settings))
        try:
            async with app.run_test(size=(120, 30)) as pilot:
                await wait_for(lambda: app.ctx.connected, pilot=pilot, timeout=30)
                await wait_for(
                    lambda: any(t.startswith("Read-only: RBAC allows") for t in _toasts(app)),
                    pilot=pilot,
                    what="the read-only toast",
                )
                header = app.screen.query_one(AppHeader)
                assert header.query_one("#header-read-only").display
                screen = app.screen
                assert isinstance(screen, MainScreen)
                assert screen.check_action("delete", ()) is None
        finally:
            await app.aclose()


async def test_keys_wait_for_the_cluster_and_ctrl_c_quits_while_connecting(
    tmp_path: Path,
) -> None:
    async with seeded(tmp_path, "Alpha") as (emulator, settings):
        emulator.delay("*", ".", 60)  # a cluster that does not answer while the test runs
        app = ClaworcApp(await open_records(settings), environ={})
        try:
            async with app.run_test(size=(120, 30)) as pilot:
                screen = app.screen
                assert isinstance(screen, MainScreen)
                await wait_for(lambda: screen.instance_list.row_count == 1, pilot=pilot)
                assert "connecting" in _header(app)
                assert screen.check_action("stop", ()) is None  # greyed in the footer
                assert app.check_action("command_palette", ()) is None  # its commands too
                await pilot.press("x")
                await wait_for(
                    lambda: any("still connecting" in t for t in _toasts(app)),
                    pilot=pilot,
                    what="the connecting toast",
                )
                await pilot.press("slash", "a", "l")  # looking works: the filter
                await wait_for(lambda: screen.instance_list.filter_text == "al", pilot=pilot)
                await pilot.press("enter", "ctrl+c")
                await wait_for(lambda: not app.is_running, pilot=pilot, what="the app ended")
            assert not app.ctx.connected
        finally:
            await asyncio.wait_for(app.aclose(), 30)  # cancels connecting; closes what it opened
        assert app.ctx.launch.store.db._conn is None
        assert app.failure is None


async def test_a_kubeconfig_that_is_not_there_ends_the_start_before_the_screen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_emulator() as emulator:
        settings = settings_for(tmp_path, emulator)
    missing = settings.model_copy(update={"kubeconfig": tmp_path / "nowhere" / "kubeconfig"})
    assert await _run(missing) == 1
    err = capsys.readouterr().err
    assert err.startswith("claworc-tui: cannot load Kubernetes config from ")
    assert "No such file or directory" in err
    assert not settings.db.exists()  # nothing was opened


async def test_an_unknown_context_ends_the_app_with_the_message(tmp_path: Path) -> None:
    async with running_emulator() as emulator:
        settings = settings_for(tmp_path, emulator, context="nonesuch")
        app = ClaworcApp(await open_records(settings), driver_class=RecordingDriver)
        try:
            async with app.run_test(size=(120, 30)) as pilot:
                await wait_for(lambda: not app.is_running, pilot=pilot, timeout=30)
        finally:
            await app.aclose()
        assert app.failure is not None
        assert "cannot load Kubernetes config" in app.failure
        assert "nonesuch" in app.failure
        assert app.ctx.launch.store.db._conn is None


async def test_a_wrong_key_exits_with_the_message_before_the_screen(tmp_path: Path) -> None:
    async with running_emulator() as emulator:
        settings = settings_for(tmp_path, emulator)
        launch = await open_records(settings)  # the first start makes the key and the check
        await launch.store.aclose()
        settings.key_file.write_bytes(new_key())  # another key
        env = {
            "HOME": str(tmp_path / "home"),
            "PATH": "/usr/bin:/bin",
            "TERM": "xterm-256color",
            "CLAWORC_CONFIG_DIR": str(settings.config_dir),
            "CLAWORC_STATE_DIR": str(settings.state_dir),
        }
        argv = ["--db", str(settings.db), "--kubeconfig", str(settings.kubeconfig)]
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "claworc_tui",
            *argv,
            "--namespace",
            settings.namespace,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 1
    text = err.decode()
    assert text.startswith("claworc-tui: "), text
    assert "key" in text
    assert b"\x1b[" not in out + err  # the terminal was never taken
