"""Private instances end to end (issue #13): no port pair held, switching, drift, ``url``."""

from __future__ import annotations

import asyncio
import json
import signal

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.models.exposure import Exposure
from claworc_tui.services import Services
from claworc_tui.services.views import DriftKind
from tests._support.kube import kube_of, reach_of
from tests._support.wait import wait_for
from tests.faults.cli_proc import spawn
from tests.k8s.helpers import running_pod
from tests.lifecycle.test_cli import KEY, cli
from tests.lifecycle.test_reach import get, make_bot, vnc_service


async def test_private_create_holds_no_pair_and_switching_moves_it(
    services: Services, emulator: EmulatorServer
) -> None:
    await services.instances.update_settings({"default_exposure": "private"})
    alpha = await make_bot(services, emulator, "Bot Alpha")
    assert (await services.instances.get(alpha)).node_ports is None
    await services.instances.update_settings({"default_exposure": "nodeport"})
    beta = await make_bot(services, emulator, "Bot Beta")
    assert (await services.instances.get(beta)).node_ports == (30100, 30101), "nothing reserved"

    public = await reach_of(services).set_exposure(alpha, Exposure.NODEPORT)
    assert public.node_ports == (30102, 30103)
    spec = vnc_service(emulator, alpha)["spec"]
    assert isinstance(spec, dict)
    assert [p["nodePort"] for p in spec["ports"]] == [30102, 30103]

    private = await reach_of(services).set_exposure(alpha, Exposure.PRIVATE)
    assert private.node_ports is None
    assert 30102 not in await services.store.instances.used_ports()
    assert (await services.instances.drift()).clean


async def test_drift_of_a_private_instance_wants_a_clusterip_without_nodeports(
    services: Services, emulator: EmulatorServer
) -> None:
    await services.instances.update_settings({"default_exposure": "private"})
    name = await make_bot(services, emulator)
    # Someone turns the Service into a NodePort one by hand.
    await kube_of(services).transport.call(
        "patch",
        "services",
        "patch_namespaced_service",
        name=f"{name}-vnc",
        namespace=kube_of(services).namespace,
        body={"spec": {"type": "NodePort"}},
    )
    report = await services.instances.drift()
    details = {i.object: i.detail for i in report.items if i.kind is DriftKind.DIFFERS}
    assert details["service_type"] == "cluster has NodePort, record says ClusterIP"
    assert details["nodeport_chrome"].endswith("record says none")
    await services.instances.repair(report.items)
    spec = vnc_service(emulator, name)["spec"]
    assert isinstance(spec, dict)
    assert spec["type"] == "ClusterIP"
    assert not any(p.get("nodePort") for p in spec["ports"])
    assert (await services.instances.drift()).clean


async def test_cli_url_of_a_private_instance_says_how_to_reach_it(
    config: Settings, emulator: EmulatorServer
) -> None:
    assert (await cli(config, "settings", "set", "default_exposure", "private"))[0] == 0
    code, out, err = await cli(config, "create", "Bot Alpha")
    assert (code, out) == (0, ""), "no URL to print for a private instance"
    assert "bot-alpha is private; reach it with: claworc-tui " in err
    code, out, err = await cli(config, "url", "bot-alpha")
    assert (code, out) == (1, ""), err
    assert "bot-alpha is private" in err
    exact = (
        f"claworc-tui --db {config.db} --kubeconfig {config.kubeconfig} "
        f"--namespace {config.namespace} forward bot-alpha"
    )
    assert exact in err
    code, out, _ = await cli(config, "ls", "--json")
    row = json.loads(out)[0]
    assert (row["exposure"], row["nodeport_chrome"], row["nodeport_terminal"]) == (
        "private",
        None,
        None,
    )
    code, out, _ = await cli(config, "ls")
    assert "private" in out.splitlines()[1]
    code, _, err = await cli(config, "url", "--local-port", "4000", "bot-alpha")
    assert code == 2
    assert "--local-port goes with --forward" in err


async def test_cli_url_forward_prints_a_working_url_until_ctrl_c(
    config: Settings, emulator: EmulatorServer
) -> None:
    assert (await cli(config, "settings", "set", "default_exposure", "private"))[0] == 0
    assert (await cli(config, "create", "Bot Alpha"))[0] == 0
    await wait_for(lambda: running_pod(emulator, "bot-alpha") is not None, timeout=10, what="pod")
    before = len(emulator.requests)
    proc = await spawn(config, KEY, "url", "--forward", "--terminal", "bot-alpha")
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(20):
            url = (await proc.stdout.readline()).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        status, body = await get(url)
        assert (status, "noVNC terminal of pod" in body) == (200, True)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=20)
    assert proc.returncode == 0, err
    assert b"ssh -N -L" in err
    writes = [
        r
        for r in emulator.requests[before:]
        if r.method in ("PUT", "PATCH", "DELETE") or (r.method == "POST" and "/port" not in r.path)
    ]
    assert writes == [], "url --forward writes nothing to the cluster"


async def test_preview_of_a_private_instance_offers_no_pair(services: Services) -> None:
    assert await services.instances.preview("Bot Alpha") == ("bot-alpha", (30100, 30101))
    await services.instances.update_settings({"default_exposure": "private"})
    assert await services.instances.preview("Bot Alpha") == ("bot-alpha", None)


async def test_object_rows_show_a_clusterip_service_without_node_ports(
    services: Services, emulator: EmulatorServer
) -> None:
    await services.instances.update_settings({"default_exposure": "private"})
    name = await make_bot(services, emulator)
    rows = {row.kind: row.state for row in await services.instances.delete_plan(name)}
    assert rows["Service"] == "ClusterIP chrome 6081, terminal 6082"
    await reach_of(services).set_exposure(name, Exposure.NODEPORT)
    rows = {row.kind: row.state for row in await services.instances.delete_plan(name)}
    assert rows["Service"] == "NodePort chrome 6081→30100, terminal 6082→30101"
