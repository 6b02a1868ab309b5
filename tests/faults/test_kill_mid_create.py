"""SIGKILL the app after each create step in turn; the next start leaves nothing behind."""

from __future__ import annotations

import asyncio
import signal
import sqlite3

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.crypto.sealing import new_key
from claworc_tui.models.instance import TRANSITIONAL
from claworc_tui.models.names import object_names
from claworc_tui.services import open_services
from tests.faults.cli_proc import spawn

#: Progress lines the CLI prints as steps complete, in the order they can appear.
KILL_AFTER = ["record", "first object", "service", "all objects", "deployment"]
KINDS = ("persistentvolumeclaims", "secrets", "configmaps", "services", "deployments")


async def _run_and_kill(config: Settings, key: str, display: str, after: str) -> None:
    proc = await spawn(config, key, "create", display)
    assert proc.stderr is not None
    seen: list[str] = []
    while True:
        line = (await asyncio.wait_for(proc.stderr.readline(), timeout=30)).decode()
        if not line:
            break
        if ": ok" in line:
            seen.append(line.split("] ", 1)[1].split(":", 1)[0])
        objects = [s for s in seen if s in ("volumes", "secret", "config", "service")]
        if (
            (after == "record" and "record" in seen)
            or (after == "first object" and objects)
            or (after == "service" and "service" in seen)
            or (after == "all objects" and len(objects) == 4)
            or (after == "deployment" and "deployment" in seen)
        ):
            proc.send_signal(signal.SIGKILL)
            break
    await proc.wait()


@pytest.mark.slow
async def test_kill_after_each_step_then_sweep_and_repair(
    config: Settings, emulator: EmulatorServer
) -> None:
    key = new_key().decode()
    emulator.config.latency = 0.25  # make the steps distinct in time
    left_mid_create = []
    for index, after in enumerate(KILL_AFTER):
        await _run_and_kill(config, key, f"Victim {index}", after)
        # Each later start sweeps the earlier victims, so look right after each kill.
        with sqlite3.connect(config.db) as raw:
            row = raw.execute(
                "SELECT status, op_step FROM instances WHERE name = ?", (f"bot-victim-{index}",)
            ).fetchone()
        assert row is not None, "the row is inserted at step 1"
        if row[0] == "creating":
            left_mid_create.append(row[1])
    emulator.config.latency = 0.0
    assert len(left_mid_create) >= 3, left_mid_create
    services = await open_services(config.model_copy(update={"fernet_key": _secret(key)}))
    try:
        report = await services.instances.drift()
        await services.instances.repair(report.items)
        rows = await services.store.instances.list()
        assert not [r.name for r in rows if r.status in TRANSITIONAL], "rows stuck"
        wanted = {n for r in rows for n in object_names(r.name).values()}
        for plural in KINDS:
            names = {o["metadata"]["name"] for o in emulator.objects(plural, config.namespace)}
            names.discard("kube-root-ca.crt")  # every namespace holds it (root-CA publisher)
            assert names <= wanted, f"orphaned {plural}: {names - wanted}"
        used = await services.store.instances.used_ports()
        held = {
            p["nodePort"]
            for s in emulator.objects("services", config.namespace)
            for p in s["spec"]["ports"]
        }
        assert held == used, "leaked or missing ports"
        assert len(used) == 2 * len(rows)
        repaired = await services.instances.drift()
        assert repaired.clean, repaired.items
        log = await services.instances.activity()
        swept = [e for e in log if e.action == "sweep"]
        assert len(swept) >= len(left_mid_create)
        assert all("the app stopped during create at step" in (e.detail or "") for e in swept)
        assert all(r.status.value == "running" for r in rows)
    finally:
        await services.aclose()


def _secret(key: str):  # type: ignore[no-untyped-def]
    from pydantic import SecretStr

    return SecretStr(key)
