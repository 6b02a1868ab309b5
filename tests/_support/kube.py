"""The Kubernetes side of tests: the client of services opened on Kubernetes (``Services.kube``
is None on Docker), and objects someone else made."""

from __future__ import annotations

from claworc_tui.config import Settings
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.objects import Json
from claworc_tui.services import Services
from claworc_tui.services.reach import ReachService


def kube_of(services: Services) -> KubeClient:
    """``services.kube``, which these tests opened on the emulator (never Docker)."""
    assert services.kube is not None, "these services run on Docker, not Kubernetes"
    return services.kube


def reach_of(services: Services) -> ReachService:
    """``services.reach``: port-forwards and exposure, which exist on Kubernetes only."""
    assert services.reach is not None, "these services run on Docker, not Kubernetes"
    return services.reach


async def delete_by_hand(config: Settings, kind: str, name: str) -> None:
    """Someone else deletes ``kind/name`` (as ``kubectl delete`` does: no preconditions), with a
    client of their own on ``config``'s cluster and namespace."""
    async with KubeClient(kubeconfig=config.kubeconfig, namespace=config.namespace) as kube:
        await kube.objects.delete(kind, name, preconditions={})


def foreign_node_port_service(name: str, namespace: str, *node_ports: int) -> Json:
    """A NodePort Service someone else made (none of our labels) holding ``node_ports``."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "type": "NodePort",
            "selector": {"app": name},
            "ports": [
                {"name": f"port-{i}", "port": 80 + i, "nodePort": node_port}
                for i, node_port in enumerate(node_ports)
            ],
        },
    }
