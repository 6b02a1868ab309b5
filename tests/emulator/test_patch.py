"""Merge patch, JSON patch and strategic merge patch, over HTTP and as functions."""

from __future__ import annotations

from typing import Any

from claworc_emulator.patch import merge_patch, strategic_merge
from tests.emulator.conftest import DEPLOYMENTS, NS, Http, deployment

MERGE = "application/merge-patch+json"
JSON = "application/json-patch+json"
SMP = "application/strategic-merge-patch+json"


def test_merge_patch_rfc7386() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]}
    patch = {"a": "z", "c": {"f": None}, "l": [3]}
    assert merge_patch(target, patch) == {"a": "z", "c": {"d": "e"}, "l": [3]}


def test_strategic_merge_named_lists() -> None:
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "a",
                "image": "a:1",
                "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}],
                "ports": [{"containerPort": 80, "name": "http"}],
                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            },
            {"name": "b", "image": "b:1"},
        ]
    }
    patch = {
        "containers": [
            {
                "name": "a",
                "env": [
                    {"name": "Y", "value": "22"},
                    {"name": "Z", "value": "3"},
                    {"name": "X", "$patch": "delete"},
                ],
                "ports": [{"containerPort": 81}],
                "volumeMounts": [{"mountPath": "/data", "readOnly": True}],
            },
            {"name": "c", "image": "c:1"},
        ]
    }
    out = strategic_merge(spec, patch, (), "Pod")
    a = out["containers"][0]
    # Patch items in the patch's order, interleaved with the server's others by their server
    # positions; a new item goes before the server-only items (mergeSortedSlice).
    assert [c["name"] for c in out["containers"]] == ["a", "c", "b"]
    assert a["image"] == "a:1"
    assert a["env"] == [{"name": "Y", "value": "22"}, {"name": "Z", "value": "3"}]
    assert a["ports"] == [{"containerPort": 81}, {"containerPort": 80, "name": "http"}]
    assert a["volumeMounts"] == [{"name": "data", "mountPath": "/data", "readOnly": True}]


def test_strategic_merge_service_ports_and_directives() -> None:
    svc = {
        "spec": {
            "ports": [{"port": 80, "targetPort": 8080}, {"port": 443}],
            "selector": {"app": "x", "tier": "web"},
        }
    }
    patch = {
        "spec": {
            "ports": [{"port": 80, "nodePort": 30100}],
            "selector": {"$patch": "replace", "app": "y"},
        }
    }
    out = strategic_merge(svc, patch, (), "Service")
    assert out["spec"]["ports"] == [
        {"port": 80, "targetPort": 8080, "nodePort": 30100},
        {"port": 443},
    ]
    assert out["spec"]["selector"] == {"app": "y"}
    retained = strategic_merge({"a": 1, "b": 2}, {"$retainKeys": ["b", "c"], "c": 3}, (), "X")
    assert retained == {"b": 2, "c": 3}
    replaced = strategic_merge({"args": ["a", "b"]}, {"args": ["c"]}, (), "Pod")
    assert replaced == {"args": ["c"]}


async def test_patch_types_over_http(http: Http) -> None:
    await http.post(DEPLOYMENTS, deployment("p"))
    path = f"{DEPLOYMENTS}/p"
    status, dep = await http.patch(
        path,
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{"name": "moltbot", "env": [{"name": "A", "value": "1"}]}]
                    }
                }
            }
        },
        SMP,
    )
    assert status == 200
    container = dep["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/openclaw/moltbot:1.0"
    assert container["env"] == [{"name": "A", "value": "1"}]
    status, dep = await http.patch(
        path,
        [
            {"op": "test", "path": "/spec/replicas", "value": 1},
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "add", "path": "/metadata/labels/extra", "value": "yes"},
        ],
        JSON,
    )
    assert status == 200
    assert dep["spec"]["replicas"] == 3
    assert dep["metadata"]["labels"]["extra"] == "yes"
    status, body = await http.patch(
        path,
        [
            {"op": "test", "path": "/spec/replicas", "value": 99},
            {"op": "replace", "path": "/spec/replicas", "value": 5},
        ],
        JSON,
    )
    assert status == 422
    assert body["reason"] == "Invalid"
    assert body["message"] == "the server rejected our request due to an error in our request"
    assert body["details"] == {}  # the real server gives no causes
    _, after = await http.get(path)
    assert after["spec"]["replicas"] == 3
    status, dep = await http.patch(path, {"metadata": {"labels": {"extra": None}}}, MERGE)
    assert status == 200
    assert "extra" not in dep["metadata"]["labels"]


async def test_patch_with_stale_resource_version_conflicts(http: Http) -> None:
    path = f"/api/v1/namespaces/{NS}/configmaps"
    _, cm = await http.post(path, {"metadata": {"name": "c"}, "data": {"a": "1"}})
    await http.patch(f"{path}/c", {"data": {"a": "2"}}, MERGE)
    status, body = await http.patch(
        f"{path}/c",
        {"metadata": {"resourceVersion": cm["metadata"]["resourceVersion"]}, "data": {"a": "3"}},
        MERGE,
    )
    assert status == 409
    assert body["reason"] == "Conflict"
