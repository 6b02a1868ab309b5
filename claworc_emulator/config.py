"""Configuration and request records of the emulated API server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "claworc"]


@dataclass
class EmulatorConfig:
    """Knobs of the emulator. Delays are in seconds and kept small for tests."""

    pod_start_delay: float = 0.3
    pod_grace_period: float = 0.1
    history_limit: int = 2000
    latency: float = 0.0
    nodes: list[dict[str, Any]] | None = None
    pvc_expandable: bool = True
    token: str | None = None
    # Additions beyond the original brief (all optional):
    bookmark_interval: float = 60.0
    namespaces: list[str] = field(default_factory=lambda: list(DEFAULT_NAMESPACES))
    user: str = "system:serviceaccount:claworc:claworc-tui"
    # Crash-loop back-off as the kubelet does it: the first restart waits crash_backoff
    # (None = 10 s), each next one twice as long up to crash_backoff_max (None = 30 times the
    # first, so 5 min), back to the first after a run of twice the maximum (10 min).
    crash_backoff: float | None = None
    crash_backoff_max: float | None = None
    node_hostname: str = "emulator"  # the control plane's host name (reportingInstance)
    kubelet_manager: str = "kubelet"  # the node's field manager (managedFields)
    # How the node reports a starting pod: every step (ContainerCreating, sandbox ready, then
    # Running) or, like the corpus's simulated node, one status write straight to Running.
    node_reports_steps: bool = True
    pod_ip: str | None = None  # every pod's IP (host networking); None = one per pod
    # A running container logs a heartbeat line this often (seconds), like the corpus's node
    # ("<time> INFO clawdbot heartbeat n=<n> pod=<ns>/<pod> container=<c>"); None = it logs
    # its start-up lines only.
    log_heartbeat: float | None = None
    controller_latency: float = 0.0  # how long the controllers take to notice a write


_FAKE_NODE_ROOM = {
    "cpu": "16",
    "ephemeral-storage": "100Gi",
    "hugepages-1Gi": "0",
    "hugepages-2Mi": "0",
    "memory": "64Gi",
    "pods": "110",
}
"""The corpus's simulated node's capacity; all of it is allocatable."""

_FAKE_NODE: dict[str, Any] = {
    "metadata": {
        "name": "fake-node-1",
        "labels": {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": "fake-node-1",
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "fakelet",
        },
        "annotations": {
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        },
        "managedFields": [
            {"manager": "fakelet", "operation": "Update", "apiVersion": "v1"},
            {
                "manager": "fakelet",
                "operation": "Update",
                "apiVersion": "v1",
                "subresource": "status",
            },
        ],
    },
    "spec": {},
    "status": {
        "capacity": dict(_FAKE_NODE_ROOM),
        "allocatable": dict(_FAKE_NODE_ROOM),
        "conditions": [
            {
                "type": t,
                "status": s,
                "lastHeartbeatTime": "2026-01-01T00:00:00Z",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
                "reason": r,
                "message": m,
            }
            for t, s, r, m in (
                (
                    "MemoryPressure",
                    "False",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                ),
                (
                    "DiskPressure",
                    "False",
                    "KubeletHasNoDiskPressure",
                    "kubelet has no disk pressure",
                ),
                (
                    "PIDPressure",
                    "False",
                    "KubeletHasSufficientPID",
                    "kubelet has sufficient PID available",
                ),
                ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            )
        ],
        "addresses": [
            {"type": "InternalIP", "address": "127.0.0.1"},
            {"type": "Hostname", "address": "fake-node-1"},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "machineID": "cd1d99faa6ef49909b2c7e4f3667818e",
            "systemUUID": "cd1d99faa6ef49909b2c7e4f3667818e",
            "bootID": "00000000-0000-0000-0000-000000000001",
            "kernelVersion": "6.1.0",
            "osImage": "fakelet (containers do not run)",
            "containerRuntimeVersion": "containerd://2.0.0-fakelet",
            "kubeletVersion": "v1.36.2",
            "kubeProxyVersion": "",
            "operatingSystem": "linux",
            "architecture": "amd64",
        },
    },
}
"""The corpus's simulated node, as it reports itself."""


def conformance_config(token: str) -> EmulatorConfig:
    """The emulator as the golden corpus's cluster was recorded: one node ``fake-node-1``
    (127.0.0.1) whose pods start in about a second, and no extra namespaces."""
    return EmulatorConfig(
        token=token,
        namespaces=["default", "kube-system", "kube-public", "kube-node-lease"],
        nodes=[_FAKE_NODE],
        bookmark_interval=60.0,
        kubelet_manager="fakelet",
        node_reports_steps=False,
        pvc_expandable=False,
        pod_ip="127.0.0.1",
        log_heartbeat=0.5,
        controller_latency=0.15,
    )


@dataclass
class RequestRecord:
    """One HTTP request the server answered."""

    method: str
    path: str
    query: str
    status: int
    duration: float
