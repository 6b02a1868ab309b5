"""The Kubernetes client of services opened on Kubernetes (``Services.kube`` is None on Docker)."""

from __future__ import annotations

from claworc_tui.k8s.client import KubeClient
from claworc_tui.services import Services


def kube_of(services: Services) -> KubeClient:
    """``services.kube``, which these tests opened on the emulator (never Docker)."""
    assert services.kube is not None, "these services run on Docker, not Kubernetes"
    return services.kube
