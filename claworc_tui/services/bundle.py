"""What the UI and the CLI are handed: the open records, the cluster client and the services."""

from __future__ import annotations

from dataclasses import dataclass, field

from claworc_tui.config import Settings
from claworc_tui.k8s.client import KubeClient
from claworc_tui.services.instances import InstanceService
from claworc_tui.services.reach import ReachService
from claworc_tui.services.runtime import RuntimeKind
from claworc_tui.services.store import Store

READS_ONLY = "this command only reads"
"""The read-only reason of a command that only reads."""


@dataclass
class Services:
    """Everything the UI needs, opened once by ``__main__`` (or a test) and closed at exit."""

    config: Settings
    store: Store
    kube: KubeClient | None
    """The Kubernetes client; None on the Docker runtime."""
    instances: InstanceService
    read_only_reason: str | None = None
    """Why writes are disabled (``--read-only``, RBAC), or None."""
    warnings: list[str] = field(default_factory=list)
    """Things the user should know at start (key beside the data, cluster unreachable …)."""
    swept: list[str] = field(default_factory=list)
    """What the start-up sweep finished or flagged."""
    reach: ReachService | None = None
    """Shells and port-forwards into instances (see :mod:`.reach`)."""
    engine_host: str | None = None
    """The Docker engine's address, on the Docker runtime."""
    cluster_reachable: bool = True
    """False when the API server did not answer the start-up checks (the records are shown;
    the namespace check and the sweep were skipped, the watch keeps retrying)."""

    @property
    def runtime(self) -> RuntimeKind:
        """What runs the instances."""
        return self.instances.runtime.kind

    @property
    def context_name(self) -> str:
        """The kubeconfig context (``in-cluster`` inside a pod); ``docker`` on Docker."""
        if self.kube is None:
            return "docker"
        return self.kube.transport.context_name or "in-cluster"

    @property
    def server_url(self) -> str:
        """The API server URL (the engine's address on Docker)."""
        if self.kube is None:
            return self.engine_host or ""
        return self.kube.transport.server_url

    @property
    def namespace(self) -> str:
        """The namespace every instance lives in (the engine's address on Docker)."""
        if self.kube is None:
            return self.engine_host or "docker"
        return self.kube.namespace

    async def aclose(self) -> None:
        """Stop streams, close the cluster client and the database."""
        try:
            await self.close_runtime()
        finally:
            await self.store.aclose()

    async def close_runtime(self) -> None:
        """Stop streams and close the cluster client (or the engine); the records stay open."""
        try:
            if self.reach is not None:
                await self.reach.aclose()
            await self.instances.aclose()
        finally:
            if self.kube is not None:
                await self.kube.aclose()
