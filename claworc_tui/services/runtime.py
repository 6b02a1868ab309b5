"""The runtime: what runs the instances, Kubernetes or one Docker engine, behind one Protocol.

The services need a few things of whatever runs the instances, named here for what they do:
start, stop and restart one; a live source of its status for the fleet hub; a follow of its
log for the log pipeline. :class:`KubeRuntime` gives them over today's Kubernetes client;
:class:`~claworc_tui.services.docker_service.DockerRuntime` over a Docker engine. Creating and
deleting differ too much in their steps (and their rollback) to share a method: each backend's
service has its own (``lifecycle`` for Kubernetes, ``docker_service`` for Docker).

The backend is chosen as the real Claworc chooses it (:func:`choose_runtime`): ``--runtime``,
else in a pod (in-cluster config), else a kubeconfig that exists, else the Docker socket.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Unpack

from claworc_tui.k8s.errors import KubeNotFound
from claworc_tui.models.logs import FollowOptions, LogLine, LogStreamState
from claworc_tui.models.watch import InformerEvent

if TYPE_CHECKING:  # the cluster client (aiohttp, kubernetes_asyncio) is not needed to choose
    from claworc_tui.k8s.client import KubeClient
    from claworc_tui.k8s.informer import Kind
    from claworc_tui.k8s.objects import Json

#: Docker's default socket (``docker.engine.DEFAULT_SOCKET``; not imported from there, which
#: would load aiodocker on every Kubernetes start).
DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock"


class RuntimeKind(StrEnum):
    """Which backend runs the instances."""

    KUBERNETES = "kubernetes"
    DOCKER = "docker"


class LiveSource(Protocol):
    """A list-then-watch that never gives up (the Kubernetes informer's shape)."""

    resource_version: str | None

    def events(self) -> AsyncGenerator[InformerEvent[Any], None]:
        """A snapshot, then changes and state changes."""
        ...


class LogSource(Protocol):
    """A log follow: batches of lines; ``state``/``reason`` tell how it ended."""

    state: LogStreamState
    reason: str | None

    def __aiter__(self) -> AsyncIterator[list[LogLine]]:
        """Iterate over the batches."""
        ...

    def batches(self) -> AsyncGenerator[list[LogLine], None]:
        """The batches until the follow ends."""
        ...


class Runtime(Protocol):
    """What the services need from the backend that runs the instances."""

    kind: RuntimeKind

    def informer(
        self, kind: Kind, parse: Callable[[Json], Any], *, label_selector: str | None
    ) -> LiveSource:
        """A live source of ``kind`` (pods: the instances' status) for the fleet hub."""
        ...

    def is_missing(self, exc: BaseException) -> bool:
        """Whether ``exc`` says an object of the instance does not exist (repair re-makes it)."""
        ...

    async def start(self, name: str) -> None:
        """Run the instance (its data is where it was)."""
        ...

    async def stop(self, name: str) -> None:
        """Stop the instance, keeping its data."""
        ...

    async def restart(self, name: str) -> None:
        """Replace the running instance's process (or pod)."""
        ...

    def follow_logs(self, name: str, **options: Unpack[FollowOptions]) -> LogSource:
        """Follow the instance's log, across restarts."""
        ...


class KubeRuntime:
    """The Kubernetes backend: the instance's Deployment, scaled and rolled."""

    kind = RuntimeKind.KUBERNETES

    def __init__(self, kube: KubeClient) -> None:
        self.kube = kube

    def informer(
        self, kind: Kind, parse: Callable[[Json], Any], *, label_selector: str | None
    ) -> LiveSource:
        """The namespace's informer of ``kind``."""
        return self.kube.informer(kind, parse, label_selector=label_selector)

    def is_missing(self, exc: BaseException) -> bool:
        """A 404 from the API server."""
        return isinstance(exc, KubeNotFound)

    async def start(self, name: str) -> None:
        """Scale the Deployment to 1."""
        await self.kube.deployments.scale(name, 1)

    async def stop(self, name: str) -> None:
        """Scale the Deployment to 0 (the PVCs stay)."""
        await self.kube.deployments.scale(name, 0)

    async def restart(self, name: str) -> None:
        """Roll the pod."""
        await self.kube.deployments.rollout_restart(name)

    def follow_logs(self, name: str, **options: Unpack[FollowOptions]) -> LogSource:
        """Follow the instance's pods (moving to the new pod after a restart)."""
        return self.kube.follow_logs(instance=name, **options)


def choose_runtime(
    flag: str | None,
    kubeconfig: Path | None,
    environ: dict[str, str] | None = None,
    docker_socket: str = DEFAULT_DOCKER_SOCKET,
) -> RuntimeKind:
    """The backend, as the real Claworc picks it.

    ``--runtime`` wins; else a pod's service account (``KUBERNETES_SERVICE_HOST``) means
    Kubernetes; else a kubeconfig that exists (``--kubeconfig``, ``KUBECONFIG``,
    ``~/.kube/config``) means Kubernetes; else Docker when an engine is there (``DOCKER_HOST``
    set, or the default socket exists); else Kubernetes (its error says what is missing).
    """
    if flag:
        return RuntimeKind(flag)
    env = os.environ if environ is None else environ
    if env.get("KUBERNETES_SERVICE_HOST"):
        return RuntimeKind.KUBERNETES
    if kubeconfig is not None or env.get("KUBECONFIG"):
        return RuntimeKind.KUBERNETES
    if (Path.home() / ".kube" / "config").exists():
        return RuntimeKind.KUBERNETES
    if env.get("DOCKER_HOST") or Path(docker_socket).exists():
        return RuntimeKind.DOCKER
    # Neither a cluster nor an engine: Kubernetes, as before there was a Docker backend, whose
    # error names the missing kubeconfig (and --runtime docker), rather than an error about a
    # Docker socket the user never meant to use.
    return RuntimeKind.KUBERNETES
