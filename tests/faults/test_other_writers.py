"""A running TUI sees what other writers do: the CLI (a real subprocess) and a second app.

Each change must be on screen within 1 s of the other writer finishing it; before the change
feed, the TUI re-read the database only after its own operations.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

from claworc_tui.app import ClaworcApp
from claworc_tui.config import Settings
from claworc_tui.crypto.sealing import new_key
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.widgets.instance_list import InstanceList
from tests._support.wait import wait_for
from tests.faults.cli_proc import env_for, spawn
from tests.ui.harness import opened, running_emulator, seed, settings_for

SEEN_WITHIN = 1.0


def status_of(app: ClaworcApp, name: str) -> str | None:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    view = screen.query_one(InstanceList).views.get(name)
    return None if view is None else view.status


#: A second app: the service layer the TUI drives, in its own process, doing one operation.
SECOND_APP = r"""
import asyncio, sys, time
from claworc_tui.config import Settings
from claworc_tui.services import open_services

async def main() -> None:
    db, kubeconfig, action, name = sys.argv[1:5]
    services = await open_services(Settings(db=db, kubeconfig=kubeconfig, namespace="claworc"))
    try:
        await getattr(services.instances, action)(name)
        print(time.time(), flush=True)  # when the write was done (before closing)
    finally:
        await services.aclose()

asyncio.run(main())
"""


async def second_app(config: Settings, key: str, action: str, name: str) -> float:
    """Run one operation in a second app process; return the wall-clock time it finished."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SECOND_APP,
        str(config.db),
        str(config.kubeconfig),
        action,
        name,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env_for(key),
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return float(out.decode().split()[-1])


async def test_cli_and_second_app_writes_show_in_a_running_tui(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_key().decode()
    monkeypatch.setenv("CLAWORC_FERNET_KEY", key)  # both apps and the CLI open the same records
    async with running_emulator() as emulator:
        config = settings_for(tmp_path, emulator)
        async with opened(config) as services:
            await seed(services, "Alpha")
            app = ClaworcApp(services)
            async with app.run_test(size=(160, 45)) as pilot:
                await wait_for(
                    lambda: status_of(app, "bot-alpha") == "Running",
                    pilot=pilot,
                    timeout=10,
                    what="up",
                )
                timings: dict[str, float] = {}

                async def cli(*args: str) -> None:
                    proc = await spawn(config, key, *args)
                    _, err = await asyncio.wait_for(proc.communicate(), 60)
                    assert proc.returncode == 0, err.decode()

                # The CLI creates: the new row appears.
                await cli("create", "Beta")
                start = time.time()
                await wait_for(
                    lambda: status_of(app, "bot-beta") is not None,
                    pilot=pilot,
                    timeout=SEEN_WITHIN,
                    what="beta",
                )
                timings["cli create"] = time.time() - start
                # A second app stops one: it shows Stopped, not "Terminating" or "Running".
                done = await second_app(config, key, "stop", "bot-alpha")
                await wait_for(
                    lambda: status_of(app, "bot-alpha") in ("stopping", "Stopped"),
                    pilot=pilot,
                    timeout=SEEN_WITHIN,
                    what="alpha stopping",
                )
                timings["app stop"] = time.time() - done
                assert timings["app stop"] < SEEN_WITHIN
                await wait_for(
                    lambda: status_of(app, "bot-alpha") == "Stopped",
                    pilot=pilot,
                    timeout=10,
                    what="stopped",
                )
                # The CLI starts it again: Running, not "Terminating 1/1" forever.
                await cli("start", "bot-alpha")
                start = time.time()
                await wait_for(
                    lambda: (
                        status_of(app, "bot-alpha") not in ("Stopped", "Terminating", "stopping")
                    ),
                    pilot=pilot,
                    timeout=SEEN_WITHIN,
                    what="alpha starting",
                )
                timings["cli start"] = time.time() - start
                await wait_for(
                    lambda: status_of(app, "bot-alpha") == "Running",
                    pilot=pilot,
                    timeout=10,
                    what="running",
                )
                # The CLI deletes one: the row goes.
                await cli("rm", "bot-beta", "--yes")
                start = time.time()
                await wait_for(
                    lambda: status_of(app, "bot-beta") is None,
                    pilot=pilot,
                    timeout=SEEN_WITHIN,
                    what="beta gone",
                )
                timings["cli rm"] = time.time() - start
                print("seen after", {k: f"{v:.2f}s" for k, v in timings.items()})
