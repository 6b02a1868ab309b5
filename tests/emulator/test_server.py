"""Server hooks and transport: kubernetes_asyncio client, auth, failures, stop/start, records."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from kubernetes_asyncio import client, config, watch
from kubernetes_asyncio.client.exceptions import ApiException

from claworc_emulator import EmulatorServer
from tests._support.emulator import emulator_config
from tests._support.wait import wait_for
from tests.emulator.conftest import (
    CONFIGMAPS,
    DEPLOYMENTS,
    EMULATOR_TEST_KNOBS,
    NS,
    Http,
    deployment,
    lines_until_stopped,
    names,
    ready_deployment,
    ready_pod,
)


def raw(body: dict[str, Any]) -> Any:
    """A JSON body as it is: kubernetes_asyncio sends a dict unchanged (its annotations ask for
    its model classes, which would serialise it themselves)."""
    return body


async def test_real_client_reads_every_kind(
    k8s: client.ApiClient, emulator: EmulatorServer, http: Http
) -> None:
    core, apps = client.CoreV1Api(k8s), client.AppsV1Api(k8s)
    await apps.create_namespaced_deployment(NS, raw(deployment("bot-k")))
    await core.create_namespaced_service(
        NS,
        raw(
            {
                "metadata": {"name": "bot-k"},
                "spec": {"type": "NodePort", "selector": {"app": "bot-k"}, "ports": [{"port": 80}]},
            }
        ),
    )
    await core.create_namespaced_secret(
        NS, raw({"metadata": {"name": "k"}, "stringData": {"a": "b"}})
    )
    await core.create_namespaced_config_map(
        NS, raw({"metadata": {"name": "k"}, "data": {"a": "b"}})
    )
    await core.create_namespaced_persistent_volume_claim(
        NS,
        raw(
            {
                "metadata": {"name": "k"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            }
        ),
    )
    await wait_for(lambda: ready_pod(emulator, "bot-k"), what="ready pod")
    pods = await core.list_namespaced_pod(NS, label_selector="app=bot-k")
    assert pods.items[0].status.container_statuses[0].ready is True
    assert pods.items[0].metadata.owner_references[0].kind == "ReplicaSet"
    dep = await apps.read_namespaced_deployment("bot-k", NS)
    assert dep.spec.template.spec.containers[0].name == "moltbot"
    assert (await apps.list_namespaced_replica_set(NS)).items[0].status.replicas == 1
    svc = (await core.list_namespaced_service(NS)).items[0]
    assert svc.spec.ports[0].port == 80
    assert svc.spec.ports[0].node_port >= 30000
    assert (await core.read_namespaced_secret("k", NS)).data == {"a": "Yg=="}
    assert (await core.list_namespaced_config_map(NS)).items[0].data == {"a": "b"}
    assert (await core.list_namespaced_persistent_volume_claim(NS)).items[0].spec.access_modes
    events = await core.list_namespaced_event(NS)
    assert {e.reason for e in events.items} >= {"Scheduled", "Started", "ScalingReplicaSet"}
    nodes = await core.list_node()
    assert nodes.items[0].status.node_info.kubelet_version == "v1.36.2"
    assert [n.metadata.name for n in (await core.list_namespace()).items] == [
        "claworc",
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system",
    ]
    version = await client.VersionApi(k8s).get_code()
    assert version.major == "1"
    scale = await apps.read_namespaced_deployment_scale("bot-k", NS)
    assert scale.spec.replicas == 1
    review = await client.AuthorizationV1Api(k8s).create_self_subject_access_review(
        raw(
            {
                "spec": {
                    "resourceAttributes": {"verb": "create", "resource": "pods", "namespace": NS}
                }
            }
        )
    )
    assert review.status.allowed is True
    status = await core.delete_namespaced_secret("k", NS)
    assert status.status == "Success"
    pod_name = pods.items[0].metadata.name
    deleted = await core.delete_namespaced_pod(pod_name, NS)
    assert deleted.metadata.deletion_timestamp is not None
    log = await core.read_namespaced_pod_log(pod_name, NS, tail_lines=1)
    assert log == "moltbot is ready\n"


async def test_real_client_errors_and_watch(k8s: client.ApiClient) -> None:
    core = client.CoreV1Api(k8s)
    with pytest.raises(ApiException) as info:
        await core.read_namespaced_config_map("nope", NS)
    assert info.value.status == 404
    assert info.value.body is not None
    assert json.loads(info.value.body)["reason"] == "NotFound"
    listing = await core.list_namespaced_config_map(NS)
    rv = listing.metadata.resource_version
    await core.create_namespaced_config_map(NS, raw({"metadata": {"name": "w"}}))
    w = watch.Watch()
    events = []
    async with asyncio.timeout(3):
        async for event in w.stream(
            core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=1
        ):
            events.append((event["type"], event["object"].metadata.name))
    assert events == [("ADDED", "w")]


async def test_real_client_raises_410_from_watch(
    k8s: client.ApiClient, emulator: EmulatorServer
) -> None:
    core = client.CoreV1Api(k8s)
    old = (await core.list_namespaced_config_map(NS)).metadata.resource_version
    await core.create_namespaced_config_map(NS, raw({"metadata": {"name": "x"}}))
    emulator.force_gone()
    with pytest.raises(ApiException) as info:
        async for _ in watch.Watch().stream(
            core.list_namespaced_config_map, NS, resource_version=old, timeout_seconds=2
        ):
            pass
    assert info.value.status == 410
    assert "Expired" in str(info.value.reason)


async def test_inject_failure_has_no_side_effects(http: Http, emulator: EmulatorServer) -> None:
    emulator.inject_failure(
        "POST",
        r"/configmaps$",
        status=429,
        reason="TooManyRequests",
        message="Too many requests, please try again later.",
        times=2,
        retry_after=3,
    )
    async with http.session.post(http.url + CONFIGMAPS, json={"metadata": {"name": "c"}}) as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "3"
        body = await resp.json()
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Too many requests, please try again later.",
        "reason": "TooManyRequests",
        "details": {"retryAfterSeconds": 3},
        "code": 429,
    }
    assert (await http.post(CONFIGMAPS, {"metadata": {"name": "c"}}))[0] == 429
    assert names(emulator.objects("configmaps", NS)) == []
    assert (await http.get(CONFIGMAPS))[0] == 200
    assert (await http.post(CONFIGMAPS, {"metadata": {"name": "c"}}))[0] == 201


async def test_requests_are_recorded(http: Http, emulator: EmulatorServer) -> None:
    before = len(emulator.requests)
    await http.get(CONFIGMAPS, labelSelector="a=b")
    await http.get(f"{CONFIGMAPS}/missing")
    new = emulator.requests[before:]
    assert [(r.method, r.path, r.status) for r in new] == [
        ("GET", CONFIGMAPS, 200),
        ("GET", f"{CONFIGMAPS}/missing", 404),
    ]
    assert new[0].query == "labelSelector=a%3Db"
    assert new[0].duration >= 0


async def test_latency_is_injected(http: Http, emulator: EmulatorServer) -> None:
    emulator.config.latency = 0.2
    started = time.monotonic()
    await http.get("/version")
    assert time.monotonic() - started >= 0.2


async def test_stop_start_keeps_state_and_port(emulator: EmulatorServer) -> None:
    url = emulator.url
    async with aiohttp.ClientSession() as session:
        http = Http(session, url)
        await ready_deployment(http, emulator, "bot-p")

        await lines_until_stopped(emulator, session, url + CONFIGMAPS, {"watch": "1"})
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get("/version")
        assert await emulator.start() == url
        status, dep = await http.get(f"{DEPLOYMENTS}/bot-p")
        assert status == 200
        assert dep["metadata"]["name"] == "bot-p"
        assert ready_pod(emulator, "bot-p") is not None
        await http.delete(f"{DEPLOYMENTS}/bot-p")
        await wait_for(lambda: not emulator.objects("pods", NS), what="controller runs again")


async def test_token_auth(tmp_path: Path) -> None:
    server = EmulatorServer(emulator_config(**EMULATOR_TEST_KNOBS, token="s3cret"))
    url = await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            # No credentials: system:anonymous, which may not list namespaces (403); a wrong
            # token is refused (401).
            async with session.get(url + "/api/v1/namespaces") as resp:
                assert resp.status == 403
                body = await resp.json()
                assert (
                    'User "system:anonymous" cannot list resource "namespaces"' in body["message"]
                )
            wrong = {"Authorization": "Bearer nope"}
            async with session.get(url + "/api/v1/namespaces", headers=wrong) as resp:
                assert resp.status == 401
                body = await resp.json()
                assert body["reason"] == "Unauthorized"
                assert body["code"] == 401
            headers = {"Authorization": "Bearer s3cret"}
            async with session.get(url + "/api/v1/namespaces", headers=headers) as resp:
                assert resp.status == 200
        path = server.write_kubeconfig(tmp_path / "kc", namespace="claworc", context="emu")
        cfg = client.Configuration()
        await config.load_kube_config(config_file=str(path), client_configuration=cfg)
        _contexts, active = config.list_kube_config_contexts(str(path))
        assert active is not None
        assert active["name"] == "emu"
        assert active["context"]["namespace"] == "claworc"
        async with client.ApiClient(cfg) as api:
            namespaces = await client.CoreV1Api(api).list_namespace()
            assert "claworc" in [n.metadata.name for n in namespaces.items]
    finally:
        await server.stop()


async def test_module_entry_point(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "claworc_emulator",
        "--kubeconfig",
        str(kubeconfig),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(10):
            first = (await proc.stdout.readline()).decode()
            url = (await proc.stdout.readline()).decode().strip()
        assert "kubeconfig written" in first
        assert json.loads(kubeconfig.read_text())["clusters"][0]["cluster"]["server"] == url
        async with aiohttp.ClientSession() as session, session.get(url + "/version") as resp:
            assert (await resp.json())["gitVersion"] == "v1.36.2"
    finally:
        proc.terminate()
        await proc.wait()


async def test_discovery_short_names_and_categories(http: Http) -> None:
    """kubectl resolves `deploy`, `po`, `svc`, `pvc`, `cm`, `ns`, `rs`, `ev` and `get all`
    from discovery, as a real apiserver advertises them."""
    _, core = await http.get("/api/v1")
    _, apps = await http.get("/apis/apps/v1")
    advertised = {
        r["name"]: (r.get("shortNames", []), r.get("categories", []))
        for r in core["resources"] + apps["resources"]
    }
    assert advertised["deployments"] == (["deploy"], ["all"])
    assert advertised["replicasets"] == (["rs"], ["all"])
    assert advertised["pods"] == (["po"], ["all"])
    assert advertised["services"] == (["svc"], ["all"])
    assert advertised["persistentvolumeclaims"] == (["pvc"], [])
    assert advertised["configmaps"] == (["cm"], [])
    assert advertised["namespaces"] == (["ns"], [])
    assert advertised["events"] == (["ev"], [])
    # Every advertised group serves resources (kubectl api-resources fails on an empty one).
    _, groups = await http.get("/apis")
    for group in groups["groups"]:
        _, listing = await http.get(f"/apis/{group['preferredVersion']['groupVersion']}")
        assert listing["resources"], group["name"]
