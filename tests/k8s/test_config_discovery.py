"""Config is found like kubectl finds it; checked in child processes with their own environment."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from claworc_emulator import EmulatorServer

PROBE = """
import asyncio
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeConfigError

async def main() -> None:
    client = KubeClient()
    try:
        await client.start()
    except KubeConfigError as exc:
        print("error", exc)
        return
    version = await client.cluster.server_version()
    transport = client.transport
    print(transport.context_name, client.namespace, transport.server_url, version.major)
    await client.aclose()

asyncio.run(main())
"""


async def probe(env: dict[str, str]) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PROBE,
        env={**base, **env},
        cwd=Path(__file__).resolve().parents[2],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode().strip()


async def test_kubeconfig_env_then_home_then_in_cluster(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    env_config = emulator.write_kubeconfig(tmp_path / "env", namespace="from-env", context="env")
    home = tmp_path / "home"
    emulator.write_kubeconfig(home / ".kube" / "config", namespace="from-home", context="home")
    empty_home = tmp_path / "empty"
    empty_home.mkdir()
    from_env, from_home, nothing = await asyncio.gather(
        probe({"KUBECONFIG": str(env_config), "HOME": str(home)}),
        probe({"HOME": str(home)}),
        probe({"HOME": str(empty_home)}),
    )
    assert from_env == f"env from-env {emulator.url} 1"
    assert from_home == f"home from-home {emulator.url} 1"
    assert nothing.startswith("error cannot load Kubernetes config")
