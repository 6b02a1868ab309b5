"""Live status you can trust: garbage in the watch, expired credentials, other writers.

Real parts only: a real SQLite file, the emulator over real HTTP (behind a real proxy where the
fault needs one), the real kubernetes_asyncio client, real exec-plugin subprocesses, and real
second processes running the CLI.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from claworc_emulator import EmulatorServer
from claworc_emulator.kubeconfig import render
from claworc_tui.services import Services
from claworc_tui.services.views import InstanceView
from tests._support.wait import wait_for
from tests.faults.watch_proxy import HTML_502, WatchProxy
from tests.ui.harness import opened, running_emulator, seed, settings_at, settings_for

NS = "claworc"
NAME = "bot-alpha"
BACK_WITHIN = 2.0
"""The issue's target: status back within 2 s of the server being healthy again."""


def view(services: Services, name: str) -> InstanceView | None:
    return services.instances.hub.view(name)


def running_pod(services: Services, name: str) -> str | None:
    """The pod name of ``name`` when the hub shows it Running and ready."""
    current = view(services, name)
    if current is None or current.status != "Running" or not current.ready:
        return None
    return current.pod_name


async def seconds_until_a_new_pod(services: Services, old: str, what: str) -> float:
    """How long until the hub shows NAME Running on a pod other than ``old`` (waits a second
    longer than the target, so a miss fails on the figure, not on the wait)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    await wait_for(
        lambda: running_pod(services, NAME) not in (None, old),
        timeout=BACK_WITHIN + 1.0,
        what=what,
    )
    return loop.time() - start


async def replace_pod(emulator: EmulatorServer, services: Services, pod: str) -> None:
    """Delete the pod behind the app's back: its Deployment makes a new one."""
    kube = services.instances.kube
    await kube.transport.call("delete", "pods", "delete_namespaced_pod", name=pod, namespace=NS)


async def drain(services: Services) -> None:
    async for _ in services.instances.fleet_events():
        pass


# -- garbage in the watch ---------------------------------------------------------------------


@pytest.fixture
async def proxied(tmp_path: Path) -> AsyncIterator[tuple[Services, EmulatorServer, WatchProxy]]:
    async with running_emulator() as emulator:
        proxy = WatchProxy(emulator.url)
        await proxy.start()
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(render(proxy.url, "emulator-token", NS, "proxied"))
        try:
            async with opened(settings_at(tmp_path, kubeconfig)) as services:
                await seed(services, "Alpha")
                # Subscribe as the UI does: every informer runs (and every watch is spoiled).
                ui = asyncio.create_task(drain(services))
                await wait_for(
                    lambda: running_pod(services, NAME) is not None, timeout=10, what="alpha up"
                )
                await wait_for(lambda: proxy.open_watches >= 1, timeout=10, what="the watches")
                try:
                    yield services, emulator, proxy
                finally:
                    ui.cancel()
        finally:
            await proxy.stop()


async def test_garbage_in_the_pod_watch_never_ends_the_status(
    proxied: tuple[Services, EmulatorServer, WatchProxy],
) -> None:
    services, emulator, proxy = proxied
    spoilers = [
        HTML_502.splitlines(keepends=True)[0],  # a proxy's error page inside the 200 stream
        b'{"type":"MODIFIED","object":{"metadata":{"name":"al\n',  # a truncated line
        b"[1, 2, 3]\n",  # JSON, but not an object
        b'"a string"\n',
    ]
    for spoiler in spoilers:
        before = proxy.watches_opened
        await wait_for(lambda: proxy.open_watches > 0, timeout=10, what="an open watch")
        assert proxy.splice(spoiler) > 0
        # The stream that got it is dropped and opened again (by the app, on its own).

        def reopened(before: int = before) -> bool:
            return proxy.watches_opened > before

        await wait_for(reopened, timeout=10, what="the watch reopened")
    # Then a load balancer whose backend is gone answers the pod requests with an HTML 502.
    await wait_for(lambda: proxy.open_watches > 0, timeout=10, what="an open watch")
    proxy.splice(spoilers[0])
    proxy.bad_gateway(2, path=r"/pods$")
    await wait_for(lambda: proxy.bad_gateway_left == 0, timeout=10, what="the 502s served")
    # Healthy again from here: a change made now must show within 2 s.
    old = running_pod(services, NAME)
    assert old is not None
    await replace_pod(emulator, services, old)
    assert await seconds_until_a_new_pod(services, old, "the new pod Running") < BACK_WITHIN
    assert services.instances.hub.connection.state.value == "live"


# -- credentials that expire -------------------------------------------------------------------

#: An exec credential plugin: hands out the token in the file named by its argument.
PLUGIN = """
import json, sys
from pathlib import Path
token = Path(sys.argv[1]).read_text().strip()
print(json.dumps({
    "apiVersion": "client.authentication.k8s.io/v1beta1",
    "kind": "ExecCredential",
    "status": {"token": token},
}))
"""


def exec_kubeconfig(folder: Path, url: str, token_file: Path) -> Path:
    plugin = folder / "token-plugin.py"
    plugin.write_text(PLUGIN)
    config = json.loads(render(url, "unused", NS, "exec"))
    config["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": [str(plugin), str(token_file)],
        }
    }
    path = folder / "kubeconfig"
    path.write_text(json.dumps(config))
    return path


async def test_expired_token_is_renewed_by_the_exec_plugin(tmp_path: Path) -> None:
    async with running_emulator() as emulator:
        token_file = tmp_path / "token"
        token_file.write_text("token-1")
        emulator.config.token = "token-1"
        kubeconfig = exec_kubeconfig(tmp_path, emulator.url, token_file)
        async with opened(settings_at(tmp_path, kubeconfig)) as services:
            await seed(services, "Alpha")
            await services.instances.hub.start()
            await wait_for(
                lambda: running_pod(services, NAME) is not None, timeout=10, what="alpha up"
            )
            # The token expires: the server refuses it, the plugin now hands out a fresh one.
            token_file.write_text("token-2")
            emulator.config.token = "token-2"
            emulator.force_gone()  # every watch has to come back and meet the new rule
            old = running_pod(services, NAME)
            assert old is not None
            emulator_pods = emulator.objects("pods", NS)
            assert len(emulator_pods) == 1
            # Something changes while the watches reconnect: only a working client sees it.
            await emulator_delete_pod(emulator, old)
            took = await seconds_until_a_new_pod(
                services, old, "the new pod seen with the new token"
            )
            assert took < BACK_WITHIN
            # Plain calls renew too: the CLI's and the UI's actions keep working.
            assert [p.instance for p in await services.instances.kube.cluster.list_pods()] == [NAME]


async def emulator_delete_pod(emulator: EmulatorServer, pod: str) -> None:
    """Delete a pod inside the emulator (as the kubelet or another client would)."""
    from claworc_emulator.resources import BY_PLURAL

    emulator.api.delete(BY_PLURAL["pods"], NS, pod, {})


# -- refused ------------------------------------------------------------------------------------


async def test_refused_list_is_failed_with_what_to_do(tmp_path: Path) -> None:
    async with running_emulator() as emulator:
        emulator.forbid("list", "pods")
        async with opened(settings_for(tmp_path, emulator)) as services:
            hub = services.instances.hub
            await hub.start()
            await wait_for(lambda: hub.connection.state.value == "failed", timeout=5, what="failed")
            assert "RBAC" in (hub.connection.reason or "")
            # Failed is not "everything stopped": the informer is still there, retrying slowly.
            assert all(not task.done() for task in hub._tasks.values())
