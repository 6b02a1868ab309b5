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


def conformance_config(token: str) -> EmulatorConfig:
    """The emulator as the golden corpus's cluster was recorded: one node ``fake-node-1``
    (127.0.0.1) whose pods start in about a second, and no extra namespaces."""
    return EmulatorConfig(
        token=token,
        namespaces=["default", "kube-system", "kube-public", "kube-node-lease"],
        nodes=[
            {"name": "fake-node-1", "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}]}
        ],
        bookmark_interval=60.0,
        kubelet_manager="fakelet",
        node_reports_steps=False,
        pvc_expandable=False,
        pod_ip="127.0.0.1",
        log_heartbeat=0.5,
    )


@dataclass
class RequestRecord:
    """One HTTP request the server answered."""

    method: str
    path: str
    query: str
    status: int
    duration: float
