"""Server-set metadata, lists, generation, deletes and Secret folding."""

from __future__ import annotations

import base64
import re

from claworc_emulator import EmulatorServer
from tests.emulator.conftest import (
    CONFIGMAPS,
    DEPLOYMENTS,
    NOT_ROOT_CA,
    NS,
    SECRETS,
    Http,
    deployment,
    names,
)


async def test_server_sets_metadata_from_one_counter(http: Http) -> None:
    _, a = await http.post(CONFIGMAPS, {"metadata": {"name": "a"}})
    _, b = await http.post(SECRETS, {"metadata": {"name": "b"}})
    assert a["kind"] == "ConfigMap"
    assert a["apiVersion"] == "v1"
    assert re.fullmatch(r"[0-9a-f-]{36}", a["metadata"]["uid"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", a["metadata"]["creationTimestamp"])
    assert a["metadata"]["namespace"] == NS
    assert int(b["metadata"]["resourceVersion"]) > int(a["metadata"]["resourceVersion"])
    assert "generation" not in a["metadata"]
    status, listing = await http.get(CONFIGMAPS)
    assert status == 200
    assert listing["kind"] == "ConfigMapList"
    assert listing["apiVersion"] == "v1"
    assert int(listing["metadata"]["resourceVersion"]) >= int(b["metadata"]["resourceVersion"])
    assert names(listing["items"]) == ["a"]
    assert "kind" not in listing["items"][0]
    assert "apiVersion" not in listing["items"][0]


async def test_generate_name(http: Http) -> None:
    status, obj = await http.post(CONFIGMAPS, {"metadata": {"generateName": "cfg-"}})
    assert status == 201
    assert re.fullmatch(r"cfg-[bcdfghjklmnpqrstvwxz2456789]{5}", obj["metadata"]["name"])
    status, body = await http.post(CONFIGMAPS, {"metadata": {}})
    assert status == 422
    assert "metadata.name: Required value: name or generateName is required" in body["message"]


async def test_generation_bumps_on_spec_changes_only(http: Http) -> None:
    _, dep = await http.post(DEPLOYMENTS, deployment("gen"))
    assert dep["metadata"]["generation"] == 1
    merge = "application/merge-patch+json"
    _, dep = await http.patch(f"{DEPLOYMENTS}/gen", {"metadata": {"labels": {"x": "1"}}}, merge)
    assert dep["metadata"]["generation"] == 1
    _, dep = await http.patch(f"{DEPLOYMENTS}/gen", {"status": {"replicas": 7}}, merge)
    assert dep["metadata"]["generation"] == 1
    assert dep["status"].get("replicas") != 7
    _, dep = await http.patch(f"{DEPLOYMENTS}/gen", {"spec": {"replicas": 2}}, merge)
    assert dep["metadata"]["generation"] == 2


async def test_noop_update_keeps_resource_version(http: Http) -> None:
    _, cm = await http.post(CONFIGMAPS, {"metadata": {"name": "same"}, "data": {"a": "1"}})
    status, again = await http.patch(
        f"{CONFIGMAPS}/same", {"data": {"a": "1"}}, "application/merge-patch+json"
    )
    assert status == 200
    assert again["metadata"]["resourceVersion"] == cm["metadata"]["resourceVersion"]


async def test_defaults_are_applied(http: Http) -> None:
    _, dep = await http.post(DEPLOYMENTS, deployment("defaults", strategy="RollingUpdate"))
    spec = dep["spec"]
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    container = spec["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert container["ports"][0]["protocol"] == "TCP"
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    assert dep["status"] == {}


async def test_string_data_is_folded_into_data(http: Http) -> None:
    body = {
        "metadata": {"name": "keys"},
        "data": {"a": base64.b64encode(b"x").decode()},
        "stringData": {"b": "hello", "a": "over"},
    }
    status, secret = await http.post(SECRETS, body)
    assert status == 201
    assert "stringData" not in secret
    assert secret["type"] == "Opaque"
    assert secret["data"] == {
        "a": base64.b64encode(b"over").decode(),
        "b": base64.b64encode(b"hello").decode(),
    }
    _, got = await http.get(f"{SECRETS}/keys")
    assert "stringData" not in got


async def test_delete_returns_status_or_object_like_the_registry(http: Http) -> None:
    await http.post(SECRETS, {"metadata": {"name": "gone"}})
    status, body = await http.delete(f"{SECRETS}/gone")
    assert status == 200
    assert body["kind"] == "Status"
    assert body["status"] == "Success"
    assert body["details"]["name"] == "gone"
    assert body["details"]["kind"] == "secrets"
    svc = {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}
    await http.post(f"/api/v1/namespaces/{NS}/services", svc)
    status, body = await http.delete(f"/api/v1/namespaces/{NS}/services/web")
    assert status == 200
    assert body["kind"] == "Service"
    assert (await http.get(f"/api/v1/namespaces/{NS}/services/web"))[0] == 404


async def test_delete_preconditions(http: Http) -> None:
    _, cm = await http.post(CONFIGMAPS, {"metadata": {"name": "p"}})
    status, body = await http.delete(f"{CONFIGMAPS}/p", {"preconditions": {"resourceVersion": "1"}})
    assert status == 409
    assert body["reason"] == "Conflict"
    assert body["message"] == (
        'Operation cannot be fulfilled on ConfigMap "p": the ResourceVersion in the precondition '
        f"(1) does not match the ResourceVersion in record ({cm['metadata']['resourceVersion']})"
        ". The object might have been modified"
    )
    assert body["details"] == {"name": "p", "kind": "ConfigMap"}
    rv = cm["metadata"]["resourceVersion"]
    # rest.BeforeDelete checks the uid before the resourceVersion.
    status, body = await http.delete(
        f"{CONFIGMAPS}/p", {"preconditions": {"uid": "x", "resourceVersion": "1"}}
    )
    assert status == 409
    assert body["message"].startswith(
        'Operation cannot be fulfilled on ConfigMap "p": the UID in the precondition (x) does '
        "not match the UID in record ("
    ), body
    assert (await http.delete(f"{CONFIGMAPS}/p", {"preconditions": {"resourceVersion": rv}}))[
        0
    ] == 200


async def test_pagination(http: Http) -> None:
    for i in range(5):
        await http.post(CONFIGMAPS, {"metadata": {"name": f"c{i}"}})
    _, page = await http.get(CONFIGMAPS, limit=2)
    assert [i["metadata"]["name"] for i in page["items"]] == ["c0", "c1"]
    assert page["metadata"]["remainingItemCount"] == 4  # c2..c4 and kube-root-ca.crt
    _, selected = await http.get(CONFIGMAPS, limit=2, fieldSelector=NOT_ROOT_CA)
    assert "remainingItemCount" not in selected["metadata"]  # unknowable with a selector
    seen: list[str] = []
    token = page["metadata"]["continue"]
    while token:
        _, page = await http.get(CONFIGMAPS, limit=2, **{"continue": token})
        seen += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue")
    assert seen == ["c2", "c3", "c4", "kube-root-ca.crt"]


async def test_cluster_wide_lists_and_nodes(http: Http, emulator: EmulatorServer) -> None:
    await http.post(CONFIGMAPS, {"metadata": {"name": "here"}})
    await http.post("/api/v1/namespaces/default/configmaps", {"metadata": {"name": "there"}})
    _, listing = await http.get("/api/v1/configmaps", fieldSelector=NOT_ROOT_CA)
    assert {(i["metadata"]["namespace"], i["metadata"]["name"]) for i in listing["items"]} == {
        (NS, "here"),
        ("default", "there"),
    }
    _, nodes = await http.get("/api/v1/nodes")
    assert [n["metadata"]["name"] for n in nodes["items"]] == ["node-1"]
    addresses = {a["type"]: a["address"] for a in nodes["items"][0]["status"]["addresses"]}
    assert addresses["ExternalIP"] == "203.0.113.10"
    assert addresses["InternalIP"] == "10.0.0.10"
    assert names(emulator.objects("configmaps", NS)) == ["here"]


async def test_namespace_lifecycle(http: Http) -> None:
    status, ns = await http.post("/api/v1/namespaces", {"metadata": {"name": "tmp"}})
    assert status == 201
    assert ns["status"] == {"phase": "Active"}
    await http.post("/api/v1/namespaces/tmp/configmaps", {"metadata": {"name": "c"}})
    status, body = await http.delete("/api/v1/namespaces/tmp")
    assert status == 200
    assert body["status"]["phase"] == "Terminating"
    status, body = await http.post("/api/v1/namespaces/tmp/configmaps", {"metadata": {"name": "d"}})
    assert status in (403, 404)
    for _ in range(100):
        if (await http.get("/api/v1/namespaces/tmp"))[0] == 404:
            break
        import asyncio

        await asyncio.sleep(0.02)
    assert (await http.get("/api/v1/namespaces/tmp"))[0] == 404


async def test_delete_collection_with_selector(http: Http, emulator: EmulatorServer) -> None:
    for name, app in (("a", "x"), ("b", "x"), ("c", "y")):
        await http.post(CONFIGMAPS, {"metadata": {"name": name, "labels": {"app": app}}})
    status, body = await http.delete(CONFIGMAPS, labelSelector="app=x")
    assert status == 200
    assert body["kind"] == "ConfigMapList"
    assert sorted(i["metadata"]["name"] for i in body["items"]) == ["a", "b"]
    assert names(emulator.objects("configmaps", NS)) == ["c"]


async def test_bad_watch_parameters_are_refused_and_recorded(
    http: Http, emulator: EmulatorServer
) -> None:
    # A watch answers a non-numeric resourceVersion with 500 (a LIST with 400), like v1.36.
    status, body = await http.get(CONFIGMAPS, watch="true", resourceVersion="abc")
    assert status == 500
    assert "strconv.ParseUint" in body["message"]
    status, body = await http.get(CONFIGMAPS, resourceVersion="abc")
    assert status == 400
    assert body["reason"] == "BadRequest"
    status, _ = await http.get(f"/api/v1/namespaces/{NS}/pods/none/log")
    assert status == 404
    assert [r.status for r in emulator.requests[-3:]] == [500, 400, 404]


async def test_dry_run_validates_without_storing(http: Http, emulator: EmulatorServer) -> None:
    rv_before = emulator.store.rv
    status, obj = await http.call("POST", CONFIGMAPS, {"metadata": {"name": "dry"}}, dryRun="All")
    assert status == 201
    assert obj["metadata"]["uid"]
    assert "resourceVersion" not in obj["metadata"]
    assert names(emulator.objects("configmaps", NS)) == []
    status, body = await http.call("POST", CONFIGMAPS, {"metadata": {"name": "Bad"}}, dryRun="All")
    assert status == 422
    assert body["reason"] == "Invalid"
    await http.post(CONFIGMAPS, {"metadata": {"name": "real"}})
    status, _ = await http.call("DELETE", f"{CONFIGMAPS}/real", dryRun="All")
    assert status == 200
    assert names(emulator.objects("configmaps", NS)) == ["real"]
    assert emulator.store.rv == rv_before + 1
