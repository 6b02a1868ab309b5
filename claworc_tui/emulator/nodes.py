"""Node objects from the configuration."""

from __future__ import annotations

import copy
from typing import Any

Obj = dict[str, Any]


def default_nodes() -> list[Obj]:
    return [
        {
            "name": "node-1",
            "addresses": [
                {"type": "ExternalIP", "address": "203.0.113.10"},
                {"type": "InternalIP", "address": "10.0.0.10"},
            ],
        }
    ]


def make_node(spec: Obj) -> Obj:
    """Accept either a short form ``{"name", "addresses"}`` or a Node object."""
    if "metadata" in spec:
        node = copy.deepcopy(spec)
        name = node["metadata"]["name"]
    else:
        name = spec["name"]
        node = {
            "metadata": {"name": name, "labels": dict(spec.get("labels") or {})},
            "spec": {},
            "status": {"addresses": copy.deepcopy(spec.get("addresses") or [])},
        }
    labels = node["metadata"].setdefault("labels", {})
    labels.setdefault("kubernetes.io/hostname", name)
    labels.setdefault("kubernetes.io/os", "linux")
    labels.setdefault("kubernetes.io/arch", "amd64")
    status = node.setdefault("status", {})
    addresses = status.setdefault("addresses", [])
    if not any(a.get("type") == "Hostname" for a in addresses):
        addresses.append({"type": "Hostname", "address": name})
    status.setdefault(
        "capacity",
        {"cpu": "4", "memory": "16374584Ki", "pods": "110", "ephemeral-storage": "102626232Ki"},
    )
    status.setdefault("allocatable", dict(status["capacity"]))
    status.setdefault(
        "conditions",
        [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": "2024-01-01T00:00:00Z",
                "lastTransitionTime": "2024-01-01T00:00:00Z",
            }
        ],
    )
    status.setdefault(
        "nodeInfo",
        {
            "machineID": "0" * 32,
            "systemUUID": "00000000-0000-0000-0000-000000000000",
            "bootID": "00000000-0000-0000-0000-000000000001",
            "kernelVersion": "6.1.0",
            "osImage": "Debian GNU/Linux 12 (bookworm)",
            "containerRuntimeVersion": "containerd://1.7.0",
            "kubeletVersion": "v1.36.2",
            "kubeProxyVersion": "v1.36.2",
            "operatingSystem": "linux",
            "architecture": "amd64",
        },
    )
    status.setdefault("daemonEndpoints", {"kubeletEndpoint": {"Port": 10250}})
    return node
