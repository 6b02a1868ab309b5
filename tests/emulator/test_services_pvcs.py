"""Services (cluster IPs, node ports) and PersistentVolumeClaims (binding, resize, protection)."""

from __future__ import annotations

from typing import Any

from claworc_emulator import EmulatorServer
from tests._support.wait import wait_for
from tests.emulator.conftest import DEPLOYMENTS, NS, PVCS, SERVICES, Http, deployment

MERGE = "application/merge-patch+json"


def node_port_service(name: str, node_port: int | None = None) -> dict[str, Any]:
    port: dict[str, Any] = {"name": "http", "port": 80, "targetPort": 8080}
    if node_port is not None:
        port["nodePort"] = node_port
    return {
        "metadata": {"name": name},
        "spec": {"type": "NodePort", "selector": {"app": name}, "ports": [port]},
    }


async def test_cluster_ip_and_node_port_allocation(http: Http) -> None:
    status, svc = await http.post(SERVICES, node_port_service("web"))
    assert status == 201
    spec = svc["spec"]
    assert spec["clusterIP"].startswith("10.")
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    assert 30000 <= spec["ports"][0]["nodePort"] <= 32767
    assert spec["ports"][0]["protocol"] == "TCP"
    assert spec["externalTrafficPolicy"] == "Cluster"
    assert svc["status"] == {"loadBalancer": {}}
    _, plain = await http.post(
        SERVICES, {"metadata": {"name": "plain"}, "spec": {"ports": [{"port": 80}]}}
    )
    assert plain["spec"]["type"] == "ClusterIP"
    assert plain["spec"]["ports"][0]["targetPort"] == 80
    assert "nodePort" not in plain["spec"]["ports"][0]
    assert plain["spec"]["clusterIP"] != spec["clusterIP"]


async def test_node_port_out_of_range_and_taken(http: Http) -> None:
    status, body = await http.post(SERVICES, node_port_service("a", 40000))
    assert status == 422
    assert body["message"] == (
        'Service "a" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is '
        "not in the valid range. The range of valid ports is 30000-32767"
    )
    assert (await http.post(SERVICES, node_port_service("a", 30100)))[0] == 201
    status, body = await http.post(
        "/api/v1/namespaces/default/services", node_port_service("b", 30100)
    )
    assert status == 422
    assert body["message"] == (
        'Service "b" is invalid: spec.ports[0].nodePort: Invalid value: '
        "30100: provided port is already allocated"
    )
    await http.delete(f"{SERVICES}/a")
    assert (await http.post("/api/v1/namespaces/default/services", node_port_service("b", 30100)))[
        0
    ] == 201


async def test_update_keeps_allocations_and_cluster_ip_is_immutable(http: Http) -> None:
    _, svc = await http.post(SERVICES, node_port_service("web"))
    node_port = svc["spec"]["ports"][0]["nodePort"]
    replacement = node_port_service("web")
    status, updated = await http.put(f"{SERVICES}/web", replacement)
    assert status == 200
    assert updated["spec"]["ports"][0]["nodePort"] == node_port
    assert updated["spec"]["clusterIP"] == svc["spec"]["clusterIP"]
    status, body = await http.patch(
        f"{SERVICES}/web",
        {"spec": {"clusterIP": "10.96.200.200", "clusterIPs": ["10.96.200.200"]}},
        MERGE,
    )
    assert status == 422
    assert body["details"]["causes"][0]["field"] == "spec.clusterIPs[0]"
    assert "may not change once set" in body["message"]
    # Changing the type to ClusterIP drops the nodePorts (the real server answers 200).
    status, body = await http.patch(f"{SERVICES}/web", {"spec": {"type": "ClusterIP"}}, MERGE)
    assert status == 200
    assert all("nodePort" not in p for p in body["spec"]["ports"])


def pvc(name: str, size: str = "1Gi") -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}},
    }


async def bound(http: Http, name: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        _, obj = await http.get(f"{PVCS}/{name}")
        return obj if obj.get("status", {}).get("phase") == "Bound" else None

    result: dict[str, Any] = await wait_for(check, what="pvc bound")
    return result


async def test_pvc_binds_and_carries_protection(http: Http) -> None:
    status, created = await http.post(PVCS, pvc("data"))
    assert status == 201
    assert created["status"] == {"phase": "Pending"}
    assert created["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    obj = await bound(http, "data")
    assert obj["spec"]["volumeName"] == f"pvc-{created['metadata']['uid']}"
    assert obj["status"]["capacity"] == {"storage": "1Gi"}
    assert obj["status"]["accessModes"] == ["ReadWriteOnce"]


async def test_pvc_resize_rules(http: Http) -> None:
    await http.post(PVCS, pvc("data", "2Gi"))
    await bound(http, "data")
    path = f"{PVCS}/data"
    status, body = await http.patch(
        path, {"spec": {"resources": {"requests": {"storage": "1Gi"}}}}, MERGE
    )
    assert status == 422
    assert body["message"] == (
        'PersistentVolumeClaim "data" is invalid: '
        "spec.resources.requests.storage: Forbidden: field can not be "
        "less than status.capacity"
    )
    status, body = await http.patch(path, {"spec": {"accessModes": ["ReadWriteMany"]}}, MERGE)
    assert status == 422
    assert body["details"]["causes"][0]["field"] == "spec"
    assert "spec is immutable after creation" in body["message"]
    status, _ = await http.patch(
        path, {"spec": {"resources": {"requests": {"storage": "5Gi"}}}}, MERGE
    )
    assert status == 200

    async def grown() -> bool:
        _, o = await http.get(path)
        return bool(o["status"]["capacity"]["storage"] == "5Gi")

    await wait_for(grown, what="capacity 5Gi")


async def test_pvc_resize_denied_when_class_cannot_expand(
    http: Http, emulator: EmulatorServer
) -> None:
    emulator.config.pvc_expandable = False
    await http.post(PVCS, pvc("data"))
    await bound(http, "data")
    status, body = await http.patch(
        f"{PVCS}/data", {"spec": {"resources": {"requests": {"storage": "3Gi"}}}}, MERGE
    )
    assert status == 403
    assert body["reason"] == "Forbidden"
    assert body["message"] == (
        'persistentvolumeclaims "data" is forbidden: only dynamically '
        "provisioned pvc can be resized and the storageclass that "
        "provisions the pvc must support resize"
    )


async def pod_using_claim(http: Http, emulator: EmulatorServer, claim: str) -> None:
    """A bound PVC ``claim`` and a pod (of Deployment "db") that mounts it."""
    await http.post(PVCS, pvc(claim))
    await bound(http, claim)
    dep = deployment("db", volumes=[{"name": claim, "persistentVolumeClaim": {"claimName": claim}}])
    dep["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [
        {"name": claim, "mountPath": "/data"}
    ]
    await http.post(DEPLOYMENTS, dep)
    await wait_for(lambda: emulator.objects("pods", NS), what="pod")


async def test_pvc_protection_waits_for_pods(http: Http, emulator: EmulatorServer) -> None:
    await pod_using_claim(http, emulator, "data")
    status, body = await http.delete(f"{PVCS}/data")
    assert status == 200
    assert body["metadata"]["deletionTimestamp"]
    assert body["status"]["phase"] == "Bound"
    _, still = await http.get(f"{PVCS}/data")
    assert still["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    await http.delete(f"{DEPLOYMENTS}/db")

    async def gone() -> bool:
        return (await http.get(f"{PVCS}/data"))[0] == 404

    await wait_for(gone, what="pvc removed once no pod uses it")


async def test_pvc_delete_finishes_once_the_instance_is_stopped(
    http: Http, emulator: EmulatorServer
) -> None:
    """`kubectl delete pvc` on a stopped instance (Deployment scaled to 0) finishes: the
    pvc-protection finalizer goes once no pod uses the claim, like the real controller."""
    await pod_using_claim(http, emulator, "data")
    status, _ = await http.delete(f"{PVCS}/data", propagationPolicy="Background")
    assert status == 200
    status, _ = await http.patch(
        f"{DEPLOYMENTS}/db/scale", {"spec": {"replicas": 0}}, "application/merge-patch+json"
    )
    assert status == 200

    async def gone() -> bool:
        return (await http.get(f"{PVCS}/data"))[0] == 404

    await wait_for(gone, timeout=5.0, what="pvc removed once the pod is gone")
