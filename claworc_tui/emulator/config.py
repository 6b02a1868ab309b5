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
    crash_backoff: float | None = None  # seconds between crash-loop restarts; None = start delay


@dataclass
class RequestRecord:
    """One HTTP request the server answered."""

    method: str
    path: str
    query: str
    status: int
    duration: float
