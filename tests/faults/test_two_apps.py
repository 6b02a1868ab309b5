"""Two app processes creating 25 instances each at once, one database, one cluster."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.crypto.sealing import new_key
from tests.faults.cli_proc import env_for

WORKER = r"""
import asyncio, json, sys
from claworc_tui.config import Settings
from claworc_tui.models.instance import InstanceSpec
from claworc_tui.services import open_services

async def main() -> None:
    db, kubeconfig, prefix = sys.argv[1:4]
    services = await open_services(Settings(db=db, kubeconfig=kubeconfig, namespace="claworc"))
    errors = []
    try:
        for i in range(25):
            try:
                spec = InstanceSpec(display_name=f"{prefix} {i}")
                async for _ in services.instances.create(spec):
                    pass
            except Exception as exc:
                errors.append(f"{prefix} {i}: {exc}")
    finally:
        await services.aclose()
    print(json.dumps(errors))

asyncio.run(main())
"""


@pytest.mark.slow
async def test_two_processes_create_fifty(config: Settings, emulator: EmulatorServer) -> None:
    env = env_for(new_key().decode())
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER,
            str(config.db),
            str(config.kubeconfig),
            prefix,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        for prefix in ("left", "right")
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 120)
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
        assert json.loads(out) == [], "no error shown to either user"
    services = [s for s in emulator.objects("services", config.namespace)]
    assert len(services) == 50
    ports = [p["nodePort"] for s in services for p in s["spec"]["ports"]]
    assert len(set(ports)) == 100
    assert sorted(ports) == list(range(30100, 30200))
    assert len(emulator.objects("deployments", config.namespace)) == 50
