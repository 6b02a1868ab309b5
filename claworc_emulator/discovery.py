"""Minimal discovery documents: /version, /api, /apis and the group-version resource lists."""

from __future__ import annotations

from typing import Any

from claworc_emulator.resources import RESOURCES

VERSION = {
    "major": "1",
    "minor": "36",
    "emulationMajor": "1",
    "emulationMinor": "36",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "35",
    "gitVersion": "v1.36.2",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.25.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

# What a v1.36 apiserver advertises for each resource: short names (kubectl get deploy),
# categories (kubectl get all) and the storage version hash.
_ADVERTISED: dict[str, dict[str, Any]] = {
    "configmaps": {"shortNames": ["cm"], "storageVersionHash": "qFsyl6wFWjQ="},
    "events": {"shortNames": ["ev"], "storageVersionHash": "r2yiGXH7wu8="},
    "namespaces": {"shortNames": ["ns"], "storageVersionHash": "Q3oi5N2YM8M="},
    "nodes": {"shortNames": ["no"], "storageVersionHash": "XwShjMxG9Fs="},
    "persistentvolumeclaims": {"shortNames": ["pvc"], "storageVersionHash": "QWTyNDq0dC4="},
    "pods": {"shortNames": ["po"], "categories": ["all"], "storageVersionHash": "xPOwRZ+Yhw8="},
    "secrets": {"storageVersionHash": "S6u1pOWzb84="},
    "serviceaccounts": {"shortNames": ["sa"], "storageVersionHash": "pbx9ZvyFpBE="},
    "services": {
        "shortNames": ["svc"],
        "categories": ["all"],
        "storageVersionHash": "0/CO1lhkEBI=",
    },
    "deployments": {
        "shortNames": ["deploy"],
        "categories": ["all"],
        "storageVersionHash": "8aSe+NMegvE=",
    },
    "replicasets": {
        "shortNames": ["rs"],
        "categories": ["all"],
        "storageVersionHash": "P1RzHs8/mWQ=",
    },
}
# Groups in the order the apiserver lists them; autoscaling serves v2 (preferred) and v1.
_GROUPS: list[tuple[str, list[str]]] = [
    ("apps", ["v1"]),
    ("events.k8s.io", ["v1"]),
    ("authentication.k8s.io", ["v1"]),
    ("authorization.k8s.io", ["v1"]),
    ("autoscaling", ["v2", "v1"]),
    ("rbac.authorization.k8s.io", ["v1"]),
]


def _group(name: str) -> dict[str, Any]:
    versions = next(v for g, v in _GROUPS if g == name)
    gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": gvs, "preferredVersion": gvs[0]}


def _sub(name: str, kind: str, verbs: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "singularName": "",
        "namespaced": True,
        **extra,
        "kind": kind,
        "verbs": verbs,
    }


def _resources(group: str, version: str = "v1") -> dict[str, Any]:
    gv = f"{group}/{version}" if group else version
    items: list[dict[str, Any]] = []
    for (g, plural), res in sorted(RESOURCES.items()):
        if g != group or res.version != version:
            continue
        verbs = [v for v in _VERBS if not (plural == "namespaces" and v == "deletecollection")]
        items.append(
            {
                "name": plural,
                "singularName": res.kind.lower(),
                "namespaced": res.namespaced,
                "kind": res.kind,
                "verbs": verbs,
                **_ADVERTISED.get(plural, {}),
            }
        )
        if plural == "pods":
            items.append(_sub("pods/log", "Pod", ["get"]))
        if plural == "deployments":
            items.append(
                _sub(
                    "deployments/scale",
                    "Scale",
                    ["get", "patch", "update"],
                    group="autoscaling",
                    version="v1",
                )
            )
        if plural == "serviceaccounts":
            items.append(
                _sub(
                    "serviceaccounts/token",
                    "TokenRequest",
                    ["create"],
                    group="authentication.k8s.io",
                    version="v1",
                )
            )
        if res.has_status and plural not in ("namespaces", "nodes"):
            items.append(_sub(f"{plural}/status", res.kind, ["get", "patch", "update"]))
    reviews = {
        "authorization.k8s.io": ("SelfSubjectAccessReview", "SelfSubjectRulesReview"),
        "authentication.k8s.io": ("SelfSubjectReview",),
    }
    if group in reviews:
        items = [
            {
                "name": f"{name.lower()}s",
                "singularName": name.lower(),
                "namespaced": False,
                "kind": name,
                "verbs": ["create"],
            }
            for name in reviews[group]
        ]
    out: dict[str, Any] = {"kind": "APIResourceList"}
    if group:
        out["apiVersion"] = "v1"
    out["groupVersion"] = gv
    out["resources"] = items
    return out


_HEALTH = ("/readyz", "/livez", "/healthz", "/livez/ping", "/readyz/ping", "/healthz/ping")


def is_health(path: str) -> bool:
    """True for the health endpoints (``/healthz``, ``/livez``, ``/readyz``)."""
    return path in _HEALTH


def document(path: str, url: str) -> dict[str, Any] | None:
    """The discovery document served at ``path`` (``/version``, ``/api``, ``/apis``, a
    group-version resource list), or None when ``path`` is not a discovery path.
    """
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
            # Only groups with resources served here: kubectl refuses empty group lists.
            "groups": [_group(g) for g, vs in _GROUPS if _resources(g, vs[-1])["resources"]],
        }
    if path == "/api/v1":
        return _resources("")
    parts = path.split("/")
    known = {g: v for g, v in _GROUPS}
    if len(parts) == 4 and parts[1] == "apis" and parts[3] in known.get(parts[2], []):
        return _resources(parts[2], parts[3])
    if len(parts) == 3 and parts[1] == "apis" and parts[2] in known:
        return {"kind": "APIGroup", "apiVersion": "v1", **_group(parts[2])}
    return None
