"""The CLI prints text from the cluster as text: no terminal control reaches stdout or stderr.

Real subprocesses against the emulator and a real SQLite file: a pod status with escapes
(``ls``), an API server's error message (a failed ``stop``), a name the user typed (an unknown
instance), log lines (``logs``, and ``logs --raw``, the one explicit way to get them unchanged).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.services import Services, open_services
from tests._support.instances import make
from tests._support.wait import wait_for
from tests.faults.cli_proc import spawn
from tests.hostile import C1_CSI, C1_OSC, CLEAR, OSC8, OSC52, RLO, bad_chars
from tests.lifecycle.test_cli import KEY

NS = "claworc"
LINE = f"hostile {OSC52}{CLEAR} {C1_CSI} {C1_OSC} {RLO} {OSC8}"


@pytest.fixture
async def keyed(config: Settings) -> AsyncIterator[Services]:
    """Services on the database the subprocesses open (with the same Fernet key)."""
    services = await open_services(config.model_copy(update={"fernet_key": SecretStr(KEY)}))
    try:
        yield services
    finally:
        await services.aclose()


async def cli(config: Settings, *args: str) -> tuple[int, str, str]:
    proc = await spawn(config, KEY, *args)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def running_pod(services: Services, emulator: EmulatorServer, display: str) -> str:
    await make(services, display)

    async def pod() -> str | None:
        views = {v.name: v for v in await services.instances.list_views()}
        view = views.get("bot-" + display.lower())
        return view.pod_name if view is not None and view.ready else None

    return await wait_for(pod, timeout=10, what="the instance running")


async def test_status_error_and_echoed_name_are_text(
    config: Settings, emulator: EmulatorServer, keyed: Services
) -> None:
    pod = await running_pod(keyed, emulator, "Alpha")
    # A one-shot process waits for the pod watch's first list (it printed "Pending 0/0").
    code, out, err = await cli(config, "ls")
    assert code == 0, err
    row = next(line for line in out.splitlines() if line.startswith("bot-alpha"))
    assert row.split()[1:3] == ["Running", "1/1"], out
    emulator.set_pod_phase(NS, pod, "Running", reason=f"Evil{OSC52}{C1_CSI}{RLO}")
    code, out, err = await cli(config, "ls")
    assert code == 0, err
    assert "Evil" in out
    assert bad_chars([out, err]) == []

    emulator.inject_failure(
        "PATCH", "deployments", status=500, reason="InternalError", message=LINE, times=20
    )
    code, out, err = await cli(config, "stop", "bot-alpha")
    assert code == 1
    assert "hostile" in err
    assert bad_chars([out, err]) == []

    code, out, err = await cli(config, "start", f"bot-{OSC52}{C1_OSC}")
    assert code == 2
    assert "bot-" in err
    assert bad_chars([out, err]) == []


async def test_logs_are_sanitized_unless_raw_is_asked_for(
    config: Settings, emulator: EmulatorServer, keyed: Services
) -> None:
    pod = await running_pod(keyed, emulator, "Alpha")
    emulator.append_log(NS, pod, [LINE])
    code, out, err = await cli(config, "logs", "bot-alpha")
    assert code == 0, err
    assert "hostile" in out
    assert bad_chars([out, err]) == []

    code, out, err = await cli(config, "logs", "bot-alpha", "--raw")
    assert code == 0, err
    assert LINE + "\n" in out  # exactly as the pod wrote it: stdout is a pipe, and asked for


async def test_display_names_with_controls_are_refused_at_entry(
    config: Settings, emulator: EmulatorServer
) -> None:
    code, out, err = await cli(config, "create", f"Bot {OSC52}")
    assert code == 2
    assert "display_name must not contain control or bidi characters (U+001B)" in err
    assert bad_chars([out, err]) == []
    assert emulator.objects("deployments", NS) == []
