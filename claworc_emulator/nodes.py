"""Node objects from the configuration."""

from __future__ import annotations

import copy
from typing import Any

Obj = dict[str, Any]


def default_nodes() -> list[Obj]:
    """The single node of a default cluster."""
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
    # The default node stands for a whole cluster's worth of room: the demo, the tests and the
    # benchmarks run up to 1 000 instances (500m cpu and 1Gi memory requested each) on it, and
    # the scheduler's fit check would leave all but a few Pending on a real node's 4 cpus. A
    # node given as a full object (the conformance corpus's) keeps what it says.
    status.setdefault(
        "capacity",
        {"cpu": "1000", "memory": "2Ti", "pods": "5000", "ephemeral-storage": "100Ti"},
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
