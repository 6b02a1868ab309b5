"""What the UI and the CLI are handed: the open records, the cluster client and the services.

Both openers (:func:`~claworc_tui.services.opening.open_services` for Kubernetes,
:func:`~claworc_tui.services.docker_open.open_docker_services` for Docker) take the read-only
reason from :func:`~claworc_tui.services.errors.configured_reason` (Kubernetes then asks RBAC),
build the backend's instance service and a :class:`Services` of it, and finish with
:func:`start_up` (the sweep, the log pruning, and closing what was opened when that fails).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from claworc_tui.config import Settings
from claworc_tui.k8s.client import KubeClient
from claworc_tui.services.errors import READS_ONLY
from claworc_tui.services.instances import InstanceService
from claworc_tui.services.reach import ReachService
from claworc_tui.services.runtime import RuntimeKind
from claworc_tui.services.store import Store

__all__ = ["READS_ONLY", "Services", "start_up"]

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything the UI needs, opened once by ``__main__`` (or a test) and closed at exit."""

    config: Settings
    kube: KubeClient | None
    """The Kubernetes client; None on the Docker runtime."""
    instances: InstanceService
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
    def store(self) -> Store:
        """The open records (the instance service's)."""
        return self.instances.store

    @property
    def read_only_reason(self) -> str | None:
        """Why writes are disabled (``--read-only``, RBAC), or None: the instance service's,
        which refuses them."""
        return self.instances.read_only_reason

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


async def start_up(
    services: Services,
    *,
    sweep: bool,
    prune: bool,
    given_store: bool,
    sweep_faults: tuple[type[Exception], ...] = (),
) -> Services:
    """Finish opening ``services``: the start-up sweep, then the activity log's pruning.

    The sweep runs when ``sweep`` is asked, writes are allowed and the backend answered; it
    says what it did in ``swept``, and a failure of one of ``sweep_faults`` becomes a warning.
    ``prune`` (the opener's: writes are not off) prunes the activity log. Any other failure,
    and a cancel (Ctrl+C while connecting), closes what the opener opened (the records too,
    unless they were ``given_store``, which stay the caller's) and is raised.
    """
    try:
        if sweep and services.read_only_reason is None and services.cluster_reachable:
            try:
                services.swept = await services.instances.sweep()
            except sweep_faults as exc:
                services.warnings.append(f"start-up sweep failed: {exc}")
        for line in services.swept:
            log.info("sweep: %s", line)
        if prune:
            await services.store.activity.prune()
    except BaseException:
        await (services.close_runtime() if given_store else services.aclose())
        raise
    return services
