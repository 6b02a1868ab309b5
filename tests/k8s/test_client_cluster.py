"""Cluster-level calls and error messages through the real client against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.k8s import manifests
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.cluster_ops import APP_ACTIONS, NamespaceStatus, Permissions, _rule_covers
from claworc_tui.k8s.errors import (
    KubeConfigError,
    KubeForbidden,
    KubeNotFound,
    KubeTooManyRequests,
    KubeUnreachable,
)
from claworc_tui.models.activity import ApiCall
from tests._support.wait import wait_for
from tests.k8s.factories import make_instance, make_settings
from tests.k8s.helpers import NS, apply, running_pod, throttle_pod_lists


async def test_connection_facts(kube: KubeClient, emulator: EmulatorServer) -> None:
    assert kube.namespace == NS
    assert kube.transport.context_name == "emulator"
    assert kube.transport.server_url == emulator.url
    version = await kube.cluster.server_version()
    assert version.major == "1"
    assert version.git_version.startswith("v1.")


async def test_calls_are_recorded(kubeconfig: Path) -> None:
    seen: list[ApiCall] = []
    client = KubeClient(kubeconfig=kubeconfig, on_call=seen.append, history=3)
    await client.start()
    try:
        await client.cluster.server_version()
        objects = await client.lifecycle.get_instance_objects("nope")  # 8 GETs, each a 404
        with pytest.raises(KubeNotFound):
            await client.deployments.rollout_restart("nope")
        await client.cluster.list_pods()
    finally:
        await client.aclose()
    assert objects.missing
    assert client.transport.request_count == len(seen) == 11
    assert seen[0].verb == "get"
    assert seen[0].status == 200
    assert {r.status for r in seen[1:9]} == {404}
    assert seen[1].error == "NotFound"
    assert (seen[-1].verb, seen[-1].resource, seen[-1].namespace) == ("list", "pods", NS)
    assert len(client.transport.calls) == 3


async def test_ensure_namespace(kubeconfig: Path, emulator: EmulatorServer) -> None:
    client = KubeClient(kubeconfig=kubeconfig, namespace="fresh")
    await client.start()
    try:
        assert await client.cluster.ensure_namespace() == NamespaceStatus.CREATED
        assert await client.cluster.ensure_namespace() == NamespaceStatus.EXISTS
        other = KubeClient(kubeconfig=kubeconfig, namespace="missing")
        await other.start()
        emulator.forbid("create", "namespaces")
        with pytest.raises(KubeForbidden) as caught:
            await other.cluster.ensure_namespace()
        await other.aclose()
        assert 'namespace "missing" does not exist and you may not create it' in str(caught.value)
        emulator.forbid("get", "namespaces")
        assert await client.cluster.ensure_namespace() == NamespaceStatus.UNKNOWN
    finally:
        await client.aclose()


async def test_forbidden_names_verb_resource_namespace(
    kube: KubeClient, emulator: EmulatorServer
) -> None:
    emulator.forbid("create", "deployments", NS)
    with pytest.raises(KubeForbidden) as caught:
        await kube.instances.create_deployment(
            manifests.deployment(make_instance(), make_settings(), namespace=NS)
        )
    err = caught.value
    assert (err.status, err.verb, err.resource, err.namespace) == (403, "create", "deployments", NS)
    assert err.group == "apps"
    assert 'cannot create resource "deployments"' in str(err)
    assert f'in the namespace "{NS}"' in str(err)


async def test_can_i_detects_read_only(kube: KubeClient, emulator: EmulatorServer) -> None:
    perms = await kube.cluster.can_i()
    assert perms.allowed("get", "pods/log")
    assert not perms.read_only
    for verb in ("create", "update", "patch", "delete"):
        for resource in ("deployments", "deployments/scale", "persistentvolumeclaims"):
            emulator.forbid(verb, resource)
        for resource in ("secrets", "configmaps", "services"):
            emulator.forbid(verb, resource)
    perms = await kube.cluster.can_i()
    assert perms.read_only
    assert perms.allowed("list", "pods")
    assert ("delete", "deployments") in {(p.verb, p.resource) for p in perms.denied}


def reviews(emulator: EmulatorServer) -> list[str]:
    """The permission reviews the emulator answered, by kind (``rules``/``access``)."""
    paths = [r.path.rsplit("/", 1)[-1] for r in emulator.requests]
    return [p.removeprefix("selfsubject").removesuffix("reviews") for p in paths if "self" in p]


def answers(perms: Permissions) -> dict[tuple[str, str], bool]:
    return {(c.verb, c.resource): c.allowed for c in perms.checks}


async def test_can_i_asks_one_rules_review_when_it_is_complete(
    kube: KubeClient, emulator: EmulatorServer
) -> None:
    emulator.forbid("delete", "secrets")
    emulator.forbid("patch", "deployments/scale")
    emulator.requests.clear()
    perms = await kube.cluster.can_i()
    assert reviews(emulator) == ["rules"]
    denied = {(p.verb, p.resource) for p in perms.denied}
    assert denied == {("delete", "secrets"), ("patch", "deployments/scale")}
    assert "SelfSubjectRulesReview" in (perms.denied[0].reason or "")
    assert [(c.verb, c.resource) for c in perms.checks] == list(APP_ACTIONS)


@pytest.mark.parametrize("mode", ["incomplete", "forbidden"])
async def test_can_i_asks_action_by_action_when_the_rules_cannot_tell(
    kube: KubeClient, emulator: EmulatorServer, mode: str
) -> None:
    emulator.forbid("delete", "secrets")
    complete = answers(await kube.cluster.can_i())
    emulator.rules_review(mode)
    emulator.requests.clear()
    perms = await kube.cluster.can_i()
    assert reviews(emulator) == ["rules"] + ["access"] * len(APP_ACTIONS)
    assert answers(perms) == complete
    assert not complete["delete", "secrets"]


def test_rbac_rule_matching_follows_kubernetes() -> None:
    rule = {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods", "*/log"]}
    assert _rule_covers(rule, "get", "pods")
    assert _rule_covers(rule, "get", "pods/log")
    assert not _rule_covers(rule, "watch", "pods")
    assert not _rule_covers(rule, "get", "pods/status")
    assert not _rule_covers(rule, "get", "deployments")  # apps, not the core group
    apps = {"verbs": ["*"], "apiGroups": ["apps"], "resources": ["deployments"]}
    assert _rule_covers(apps, "delete", "deployments")
    assert not _rule_covers(apps, "patch", "deployments/scale")  # subresources are named
    assert _rule_covers({**apps, "resources": ["*"]}, "patch", "deployments/scale")
    assert not _rule_covers({**apps, "resourceNames": ["bot-a"]}, "get", "deployments")


async def test_unreachable_names_the_server(tmp_path: Path) -> None:
    server = EmulatorServer()
    url = await server.start()
    path = server.write_kubeconfig(tmp_path / "dead", namespace=NS)
    await server.stop()
    client = KubeClient(kubeconfig=path)
    await client.start()
    try:
        with pytest.raises(KubeUnreachable) as caught:
            await client.cluster.server_version()
    finally:
        await client.aclose()
    assert url in str(caught.value)
    assert caught.value.server_url == url


async def test_bad_config(tmp_path: Path, kubeconfig: Path) -> None:
    with pytest.raises(KubeConfigError, match="nowhere"):
        await KubeClient(kubeconfig=tmp_path / "nowhere").start()
    with pytest.raises(KubeConfigError):
        await KubeClient(kubeconfig=kubeconfig, context="no-such-context").start()


async def test_too_many_requests(kube: KubeClient, emulator: EmulatorServer) -> None:
    throttle_pod_lists(emulator, retry_after=2)
    with pytest.raises(KubeTooManyRequests) as caught:
        await kube.cluster.list_pods()
    assert caught.value.retry_after == 2.0
    assert await kube.cluster.list_pods() == []  # only once


async def test_node_address(kube: KubeClient, emulator: EmulatorServer) -> None:
    assert await kube.cluster.node_address("vnc.example.com") == "vnc.example.com"
    address = await kube.cluster.node_address()
    assert address is not None
    node = emulator.objects("nodes", "")[0]
    by_type = {a["type"]: a["address"] for a in node["status"]["addresses"]}
    assert address == by_type.get("ExternalIP", by_type.get("InternalIP"))
    emulator.forbid("list", "nodes")
    assert await kube.cluster.node_address() is None


async def test_node_ports_and_managed_objects(kube: KubeClient, emulator: EmulatorServer) -> None:
    await apply(kube, make_instance())
    ports = await kube.cluster.service_node_ports()
    assert ports.cluster_wide
    assert ports.owners[30100].service == "bot-alpha-vnc"
    assert ports.owners[30101].namespace == NS
    managed = await kube.cluster.managed_docs()
    assert list(managed["Deployment"]) == ["bot-alpha"]
    assert len(managed["PersistentVolumeClaim"]) == 4
    labels = {d["metadata"]["labels"]["app"] for kind in managed.values() for d in kind.values()}
    assert labels == {"bot-alpha"}
    only = await kube.cluster.managed_docs(["Secret"])
    assert list(only) == ["Secret"]
    assert list(only["Secret"]) == ["bot-alpha-keys"]


async def test_events_and_pods(kube: KubeClient, emulator: EmulatorServer) -> None:
    await apply(kube, make_instance())
    await wait_for(lambda: running_pod(emulator, "bot-alpha") is not None, what="pod running")
    pod = running_pod(emulator, "bot-alpha")
    assert pod is not None
    (info,) = await kube.cluster.list_pods()
    assert (info.name, info.instance, info.phase) == (pod, "bot-alpha", "Running")
    assert await kube.cluster.read_pod("gone") is None
    events = await kube.cluster.events_for(["bot-alpha", pod])
    assert events
    assert {e.name for e in events} <= {"bot-alpha", pod}
    times = [e.last_time for e in events if e.last_time]
    assert times == sorted(times, reverse=True)
    assert any(e.reason in ("Scheduled", "Pulled", "Started", "Created") for e in events)
