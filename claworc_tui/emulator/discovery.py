"""Minimal discovery documents: /version, /api, /apis and the group-version resource lists."""

from __future__ import annotations

from typing import Any

from .resources import RESOURCES

VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-08-13T00:00:00Z",
    "goVersion": "go1.22.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def _group(name: str) -> dict[str, Any]:
    gv = {"groupVersion": f"{name}/v1", "version": "v1"}
    return {"name": name, "versions": [gv], "preferredVersion": gv}


def _resources(group: str) -> dict[str, Any]:
    gv = f"{group}/v1" if group else "v1"
    items: list[dict[str, Any]] = []
    for (g, plural), res in sorted(RESOURCES.items()):
        if g != group:
            continue
        items.append(
            {
                "name": plural,
                "singularName": res.kind.lower(),
                "namespaced": res.namespaced,
                "kind": res.kind,
                "verbs": _VERBS,
            }
        )
        if res.has_status:
            items.append(
                {
                    "name": f"{plural}/status",
                    "singularName": "",
                    "namespaced": res.namespaced,
                    "kind": res.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
    if group == "":
        items.append(
            {
                "name": "pods/log",
                "singularName": "",
                "namespaced": True,
                "kind": "Pod",
                "verbs": ["get"],
            }
        )
    if group == "apps":
        items.append(
            {
                "name": "deployments/scale",
                "singularName": "",
                "namespaced": True,
                "group": "autoscaling",
                "version": "v1",
                "kind": "Scale",
                "verbs": ["get", "patch", "update"],
            }
        )
    if group == "authorization.k8s.io":
        items = [
            {
                "name": "selfsubjectaccessreviews",
                "singularName": "",
                "namespaced": False,
                "kind": "SelfSubjectAccessReview",
                "verbs": ["create"],
            },
            {
                "name": "selfsubjectrulesreviews",
                "singularName": "",
                "namespaced": False,
                "kind": "SelfSubjectRulesReview",
                "verbs": ["create"],
            },
        ]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": items}


def document(path: str, url: str) -> dict[str, Any] | None:
    host = url.split("://", 1)[-1]
    if path == "/version":
        return dict(VERSION)
    if path == "/api":
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}],
        }
    if path == "/apis":
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [_group("apps"), _group("authorization.k8s.io")],
        }
    if path == "/api/v1":
        return _resources("")
    if path in ("/apis/apps/v1", "/apis/authorization.k8s.io/v1"):
        return _resources(path.split("/")[2])
    if path in ("/apis/apps", "/apis/authorization.k8s.io"):
        return {"kind": "APIGroup", "apiVersion": "v1", **_group(path.split("/")[2])}
    return None
