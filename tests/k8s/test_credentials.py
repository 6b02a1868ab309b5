"""Credentials that expire are reloaded: before the expiry the exec plugin reports, and on 401.

The plugin is a real subprocess run by kubernetes_asyncio's exec provider; the emulator checks
the bearer token of every request.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from claworc_emulator import EmulatorServer
from claworc_emulator.kubeconfig import render
from claworc_tui.k8s.client import KubeClient
from tests.k8s.helpers import NS

#: Hands out the token in argv[1], valid for argv[2] seconds; counts its runs in argv[3].
PLUGIN = """
import json, sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
token, valid, runs = Path(sys.argv[1]).read_text().strip(), float(sys.argv[2]), Path(sys.argv[3])
runs.write_text(str(int(runs.read_text() or 0) + 1) if runs.exists() else "1")
expiry = (datetime.now(UTC) + timedelta(seconds=valid)).strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps({
    "apiVersion": "client.authentication.k8s.io/v1beta1",
    "kind": "ExecCredential",
    "status": {"token": token, "expirationTimestamp": expiry},
}))
"""


def exec_kubeconfig(
    folder: Path, emulator: EmulatorServer, valid: float
) -> tuple[Path, Path, Path]:
    """A kubeconfig whose exec plugin hands out "token-1" (the emulator's token from now on),
    valid ``valid`` seconds; (the kubeconfig, the plugin's token file, its run count file)."""
    plugin, token, runs = folder / "plugin.py", folder / "token", folder / "runs"
    plugin.write_text(PLUGIN)
    token.write_text("token-1")
    emulator.config.token = "token-1"
    config = json.loads(render(emulator.url, "unused", NS, "exec"))
    config["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": [str(plugin), str(token), str(valid), str(runs)],
        }
    }
    path = folder / "kubeconfig"
    path.write_text(json.dumps(config))
    return path, token, runs


async def rotate_and_list(
    emulator: EmulatorServer, folder: Path, valid: float, settle: float
) -> tuple[list[int], list[str]]:
    """List pods with a token from the plugin valid ``valid`` s; rotate the token (the server
    takes only the new one from then on); wait ``settle`` s; list again. The statuses the
    server gave the second list, and the plugin's run count after each list."""
    kubeconfig, token, runs = exec_kubeconfig(folder, emulator, valid=valid)
    async with KubeClient(kubeconfig=kubeconfig) as kube:
        assert await kube.cluster.list_pods() == []
        counted = [runs.read_text()]
        token.write_text("token-2")
        emulator.config.token = "token-2"
        await asyncio.sleep(settle)
        before = len(emulator.requests)
        assert await kube.cluster.list_pods() == []
        counted.append(runs.read_text())
        return [r.status for r in emulator.requests[before:]], counted


async def test_token_near_its_expiry_is_renewed_before_a_request(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    # The plugin says its token lives 65 s: inside the 60 s margin within 5 s. Not 61: the expiry
    # is cut to the second, so with 61 a busy machine could reach the margin before the first
    # request and run the plugin twice. The token is rotated as the identity provider does when
    # it expires; the expiry is written to the second, so wait until "now" is surely within the
    # margin.
    statuses, runs = await rotate_and_list(emulator, tmp_path, valid=65, settle=5.5)
    # Renewed before the request: the server never had to refuse one.
    assert statuses == [200]
    assert runs == ["1", "2"]


async def test_401_reloads_the_credentials_and_retries_once(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    # Valid for an hour, but revoked early: only a 401 tells.
    statuses, runs = await rotate_and_list(emulator, tmp_path, valid=3600, settle=0)
    assert statuses == [401, 200]
    assert runs == ["1", "2"]
