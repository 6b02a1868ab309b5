"""The controllers: Deployment -> ReplicaSet -> Pods, rollouts, scaling, GC, failure hooks."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from claworc_emulator import EmulatorServer
from tests._support.wait import wait_for
from tests.emulator.conftest import (
    DEPLOYMENTS,
    EVENTS,
    NS,
    SECRETS,
    Http,
    deployment,
    pods_of,
    ready_deployment,
    ready_pod,
)

SMP = "application/strategic-merge-patch+json"


async def reasons_for(http: Http, name: str) -> list[str]:
    _, events = await http.get(EVENTS, fieldSelector=f"involvedObject.name={name}")
    return [e["reason"] for e in events["items"]]


async def test_deployment_creates_ready_pod(http: Http, emulator: EmulatorServer) -> None:
    pod = await ready_deployment(http, emulator, "bot-a")
    rs = emulator.objects("replicasets", NS)
    assert len(rs) == 1
    rs_name = rs[0]["metadata"]["name"]
    hash_ = rs[0]["metadata"]["labels"]["pod-template-hash"]
    assert rs_name == f"bot-a-{hash_}"
    assert re.fullmatch(r"[bcdfghjklmnpqrstvwxz2456789]{6,10}", hash_)
    assert rs[0]["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
    m = pod["metadata"]
    assert re.fullmatch(rf"{rs_name}-[bcdfghjklmnpqrstvwxz2456789]{{5}}", m["name"])
    assert m["ownerReferences"][0] | {"uid": ""} == {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": rs_name,
        "uid": "",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    assert m["labels"] == {"app": "bot-a", "pod-template-hash": hash_}
    spec, status = pod["spec"], pod["status"]
    assert spec["nodeName"] == "node-1"
    assert status["phase"] == "Running"
    assert status["hostIP"] == "10.0.0.10"
    assert status["podIP"].startswith("10.244.")
    assert status["startTime"]
    cs = status["containerStatuses"][0]
    assert cs["ready"] is True
    assert cs["started"] is True
    assert cs["restartCount"] == 0
    assert "startedAt" in cs["state"]["running"]
    conds = {c["type"]: c["status"] for c in status["conditions"]}
    assert conds["Ready"] == "True"
    assert conds["PodScheduled"] == "True"

    async def dep_ready() -> dict[str, Any] | None:
        _, d = await http.get(f"{DEPLOYMENTS}/bot-a")
        return d if d["status"].get("availableReplicas") == 1 else None

    dep = await wait_for(dep_ready, what="deployment available")
    st = dep["status"]
    assert (st["replicas"], st["readyReplicas"], st["updatedReplicas"]) == (1, 1, 1)
    assert st["observedGeneration"] == dep["metadata"]["generation"]
    conds = {c["type"]: c for c in st["conditions"]}
    assert conds["Available"]["status"] == "True"
    assert conds["Available"]["reason"] == "MinimumReplicasAvailable"
    assert conds["Progressing"]["reason"] == "NewReplicaSetAvailable"
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert await reasons_for(http, m["name"]) == [
        "Scheduled",
        "Pulling",
        "Pulled",
        "Created",
        "Started",
    ]
    assert await reasons_for(http, "bot-a") == ["ScalingReplicaSet"]
    assert await reasons_for(http, rs_name) == ["SuccessfulCreate"]


async def test_restart_recreates_pod(http: Http, emulator: EmulatorServer) -> None:
    old = await ready_deployment(http, emulator, "bot-r")
    patch = {
        "spec": {
            "template": {
                "metadata": {
                    "annotations": {"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"}
                }
            }
        }
    }
    status, dep = await http.patch(f"{DEPLOYMENTS}/bot-r", patch, SMP)
    assert status == 200
    assert dep["metadata"]["generation"] == 2

    def new_ready() -> Any:
        pod = ready_pod(emulator, "bot-r")
        if pod and pod["metadata"]["name"] != old["metadata"]["name"]:
            return len(pods_of(emulator, "bot-r")) == 1 and pod
        return None

    new = await wait_for(new_ready, what="replacement pod")
    assert new["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
    assert "Killing" in await reasons_for(http, old["metadata"]["name"])
    assert len(emulator.objects("replicasets", NS)) == 2


async def test_deleting_a_pod_gets_a_replacement(http: Http, emulator: EmulatorServer) -> None:
    old = await ready_deployment(http, emulator, "bot-d")
    name = old["metadata"]["name"]
    status, body = await http.delete(f"/api/v1/namespaces/{NS}/pods/{name}")
    assert status == 200
    assert body["kind"] == "Pod"
    assert body["metadata"]["deletionTimestamp"]
    assert body["metadata"]["deletionGracePeriodSeconds"] == 30
    new = await wait_for(
        lambda: (p := ready_pod(emulator, "bot-d")) and p["metadata"]["name"] != name and p,
        what="replacement",
    )
    assert new["metadata"]["name"] != name
    await wait_for(
        lambda: all(p["metadata"]["name"] != name for p in emulator.objects("pods", NS)),
        what="old pod gone",
    )


async def test_scale_to_zero_and_delete_garbage_collects(
    http: Http, emulator: EmulatorServer
) -> None:
    await http.post(DEPLOYMENTS, deployment("bot-s", replicas=2))
    await wait_for(lambda: len(pods_of(emulator, "bot-s", live=True)) == 2, what="2 pods")
    path = f"/apis/apps/v1/namespaces/{NS}/deployments/bot-s/scale"
    status, scale = await http.get(path)
    assert status == 200
    assert scale["kind"] == "Scale"
    assert scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 2}
    assert scale["status"]["selector"] == "app=bot-s"
    status, scale = await http.patch(
        path, {"spec": {"replicas": 0}}, "application/merge-patch+json"
    )
    assert status == 200
    assert scale["spec"] == {}  # replicas 0 is omitted (omitempty), as the real server does
    await wait_for(lambda: not pods_of(emulator, "bot-s"), what="pods gone")
    await http.patch(path, {"spec": {"replicas": 1}}, "application/merge-patch+json")
    await wait_for(lambda: ready_pod(emulator, "bot-s"), what="pod back")
    status, body = await http.delete(f"{DEPLOYMENTS}/bot-s")
    assert status == 200
    assert body["kind"] == "Status"
    assert body["details"]["group"] == "apps"
    await wait_for(
        lambda: not emulator.objects("replicasets", NS) and not emulator.objects("pods", NS),
        what="garbage collection",
    )


async def test_foreground_delete_waits_for_dependents(http: Http, emulator: EmulatorServer) -> None:
    await ready_deployment(http, emulator, "bot-f")
    status, body = await http.delete(f"{DEPLOYMENTS}/bot-f", propagationPolicy="Foreground")
    assert status == 200
    assert body["kind"] == "Deployment"
    assert body["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert body["metadata"]["deletionTimestamp"]
    await wait_for(lambda: not emulator.objects("deployments", NS), what="deployment gone")
    assert emulator.objects("pods", NS) == []


@pytest.mark.parametrize("policy", ["Foreground", "Orphan"])
async def test_gc_policies_finish_on_objects_without_dependents(
    http: Http, emulator: EmulatorServer, policy: str
) -> None:
    # The real garbage collector drops foregroundDeletion/orphan at once when nothing depends
    # on the object; before, a Secret deleted this way stayed Terminating forever.
    secrets = f"/api/v1/namespaces/{NS}/secrets"
    await http.post(secrets, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "leaf"}})
    status, _ = await http.delete(f"{secrets}/leaf", propagationPolicy=policy)
    assert status == 200
    await wait_for(
        lambda: not [s for s in emulator.objects("secrets", NS) if s["metadata"]["name"] == "leaf"],
        what="secret gone",
    )


async def test_missing_pvc_and_secret_keep_pods_waiting(
    http: Http, emulator: EmulatorServer
) -> None:
    dep = deployment(
        "bot-v", volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "bot-v-data"}}]
    )
    await http.post(DEPLOYMENTS, dep)

    async def failed_scheduling() -> bool:
        pods = pods_of(emulator, "bot-v")
        return bool(pods) and "FailedScheduling" in await reasons_for(
            http, pods[0]["metadata"]["name"]
        )

    await wait_for(failed_scheduling, what="FailedScheduling")
    pod = pods_of(emulator, "bot-v")[0]
    assert pod["status"]["phase"] == "Pending"
    _, events = await http.get(
        EVENTS, fieldSelector=f"involvedObject.name={pod['metadata']['name']}"
    )
    assert 'persistentvolumeclaim "bot-v-data" not found' in events["items"][0]["message"]
    assert events["items"][0]["type"] == "Warning"

    dep2 = deployment("bot-e")
    dep2["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [
        {"secretRef": {"name": "bot-e-keys"}}
    ]
    await http.post(DEPLOYMENTS, dep2)

    def config_error() -> bool:
        for p in pods_of(emulator, "bot-e"):
            for cs in p.get("status", {}).get("containerStatuses", []):
                if cs["state"].get("waiting", {}).get("reason") == "CreateContainerConfigError":
                    return True
        return False

    await wait_for(config_error, what="CreateContainerConfigError")
    await http.post(SECRETS, {"metadata": {"name": "bot-e-keys"}, "stringData": {"K": "v"}})
    await wait_for(lambda: ready_pod(emulator, "bot-e"), what="started once the secret exists")


def container_status(emulator: EmulatorServer, app: str) -> dict[str, Any] | None:
    for p in pods_of(emulator, app, live=True):
        for cs in p.get("status", {}).get("containerStatuses", []):
            return dict(cs)
    return None


async def test_crash_loop_and_heal(http: Http, emulator: EmulatorServer) -> None:
    await ready_deployment(http, emulator, "bot-c")
    emulator.crash_loop(NS, "bot-c")

    def looping() -> Any:
        cs = container_status(emulator, "bot-c")
        if cs and cs["restartCount"] >= 2 and "waiting" in cs["state"]:
            return cs
        return None

    cs = await wait_for(looping, what="CrashLoopBackOff")
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    assert cs["ready"] is False
    pod = pods_of(emulator, "bot-c", live=True)[0]
    assert "BackOff" in await reasons_for(http, pod["metadata"]["name"])
    emulator.heal(NS, "bot-c")
    await wait_for(lambda: ready_pod(emulator, "bot-c"), what="healed")


async def test_oom_kill(http: Http, emulator: EmulatorServer) -> None:
    await ready_deployment(http, emulator, "bot-o")
    emulator.oom_kill(NS, "bot-o")

    def killed() -> Any:
        cs = container_status(emulator, "bot-o")
        term = (cs or {}).get("lastState", {}).get("terminated")
        return cs if term and "waiting" in cs["state"] else None  # type: ignore[index]

    cs = await wait_for(killed, what="OOMKilled")
    assert cs["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert cs["lastState"]["terminated"]["exitCode"] == 137
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"


async def test_image_pull_backoff(http: Http, emulator: EmulatorServer) -> None:
    emulator.image_pull_backoff(NS, "bot-i")
    await http.post(DEPLOYMENTS, deployment("bot-i"))

    def reason() -> str | None:
        cs = container_status(emulator, "bot-i")
        reason: str | None = (cs or {}).get("state", {}).get("waiting", {}).get("reason")
        return reason

    await wait_for(lambda: reason() == "ErrImagePull", what="ErrImagePull")
    await wait_for(lambda: reason() == "ImagePullBackOff", what="ImagePullBackOff")
    pod = pods_of(emulator, "bot-i")[0]
    assert pod["status"]["phase"] == "Pending"
    reasons = await reasons_for(http, pod["metadata"]["name"])
    assert "Failed" in reasons
    assert "BackOff" in reasons
    emulator.heal(NS, "bot-i")
    await wait_for(lambda: ready_pod(emulator, "bot-i"), what="healed")


async def test_set_pod_phase(http: Http, emulator: EmulatorServer) -> None:
    pod = await ready_deployment(http, emulator, "bot-p")
    name = pod["metadata"]["name"]
    emulator.set_pod_phase(NS, name, "Failed", "Evicted")
    _, got = await http.get(f"/api/v1/namespaces/{NS}/pods/{name}")
    assert got["status"]["phase"] == "Failed"
    assert got["status"]["reason"] == "Evicted"
    assert int(got["metadata"]["resourceVersion"]) > int(pod["metadata"]["resourceVersion"])


async def test_rolling_update_starts_new_pod_before_stopping_old(
    http: Http, emulator: EmulatorServer
) -> None:
    await http.post(DEPLOYMENTS, deployment("bot-u", strategy="RollingUpdate"))
    old = await wait_for(lambda: ready_pod(emulator, "bot-u"), what="ready pod")
    seen_both = False

    def done() -> bool:
        nonlocal seen_both
        pods = pods_of(emulator, "bot-u", live=True)
        images = {p["spec"]["containers"][0]["image"] for p in pods}
        if len(images) == 2:
            seen_both = True
        return (
            images == {"ghcr.io/openclaw/moltbot:2.0"} and ready_pod(emulator, "bot-u") is not None
        )

    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"name": "moltbot", "image": "ghcr.io/openclaw/moltbot:2.0"}]
                }
            }
        }
    }
    await http.patch(f"{DEPLOYMENTS}/bot-u", patch, SMP)
    await wait_for(done, what="rolled out")
    assert seen_both
    assert all(
        p["metadata"]["name"] != old["metadata"]["name"]
        for p in pods_of(emulator, "bot-u", live=True)
    )
    _, dep = await http.get(f"{DEPLOYMENTS}/bot-u")
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"


async def test_crash_loop_backs_off_like_the_kubelet(http: Http, emulator: EmulatorServer) -> None:
    """Each restart waits twice as long as the one before, up to the maximum, and the waiting
    message names the current back-off (the demo once restarted every second while saying
    "back-off 10s")."""
    emulator.config.crash_backoff = 0.1
    emulator.config.crash_backoff_max = 0.4
    await ready_deployment(http, emulator, "bot-b")
    emulator.crash_loop(NS, "bot-b")
    seen: dict[int, str] = {}
    crashed_at: dict[int, float] = {}
    loop = asyncio.get_running_loop()

    def collect() -> bool:
        cs = container_status(emulator, "bot-b")
        if cs and "waiting" in cs["state"]:
            n = cs["restartCount"]
            if n not in seen:
                seen[n] = cs["state"]["waiting"]["message"].split(" restarting")[0]
                crashed_at[n] = loop.time()
        return len(seen) >= 5

    await wait_for(collect, timeout=10.0, what="five crashes")
    assert [seen[n] for n in sorted(seen)][:5] == [
        "back-off 100ms",
        "back-off 200ms",
        "back-off 400ms",
        "back-off 400ms",
        "back-off 400ms",
    ]
    gaps = [crashed_at[n + 1] - crashed_at[n] for n in sorted(seen)[:4]]
    assert gaps[0] >= 0.1
    assert gaps[1] >= 0.2
    assert gaps[2] >= 0.4
