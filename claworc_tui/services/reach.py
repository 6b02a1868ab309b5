"""Reach into an instance: a shell in its container, and port-forwards to its noVNC ports.

Both go through the API server (``pods/exec``, ``pods/portforward`` over WebSocket, see
:mod:`claworc_tui.k8s.podstreams`), so they work wherever the API server is reachable — from a
jump host over SSH too — and need no NodePort.

A forward listens on 127.0.0.1 (never on other interfaces: the noVNC pages have no password) and
opens one port-forward WebSocket per accepted connection, like ``kubectl port-forward``. The pod
is looked up by the instance's ``app`` label and remembered; when a connection to it fails (the
pod was replaced by a restart) the pod is looked up again, so a forward outlives its pod.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeError
from claworc_tui.k8s.manifests import CHROME_PORT, CONTAINER, TERMINAL_PORT
from claworc_tui.k8s.podstreams import ExecChannel, PodStreams
from claworc_tui.models.cluster import EventInfo
from claworc_tui.models.errors import ClaworcError, ValidationFailed
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import Instance
from claworc_tui.models.names import object_names
from claworc_tui.models.pod import PodInfo
from claworc_tui.services.errors import ReadOnlyMode
from claworc_tui.services.forwards import Forward, PortForwards, ssh_hint
from claworc_tui.services.inspect import ObjectYaml, instance_yaml
from claworc_tui.services.inspect import events as inspect_events
from claworc_tui.services.store import Store

log = logging.getLogger(__name__)

# Forward and ssh_hint live in .forwards; the UI and the CLI import them from here, with the
# service that makes them.
__all__ = ["SHELL_PROBE", "Forward", "NotRunning", "ReachService", "pod_state", "ssh_hint"]

#: What ``S`` runs: bash if the image has it, else sh (as k9s does).
SHELL_PROBE = ["sh", "-c", "command -v bash >/dev/null && exec bash || exec sh"]


class NotRunning(ClaworcError):
    """The instance has no Running pod to exec or forward into; nothing was done."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"{name} is not running: {why}")
        self.name = name
        self.why = why


def pod_state(name: str, pods: list[PodInfo]) -> PodInfo:
    """The pod to reach of ``pods``, or :class:`NotRunning` saying why there is none."""
    live = [p for p in pods if not p.terminating]
    for pod in live:
        if pod.phase == "Running" and pod.reason == "Running":
            return pod
    if not pods:
        raise NotRunning(name, "it has no pod (stopped?) — start it first")
    if not live:
        raise NotRunning(name, f"its pod {pods[0].name} is terminating")
    pod = live[0]
    message = pod.message or ""
    detail = f" ({message[:77]}…)" if len(message) > 80 else f" ({message})" if message else ""
    raise NotRunning(name, f"its pod {pod.name} is {pod.reason or pod.phase}{detail}")


class ReachService:
    """Shells and forwards into instances.

    Args:
        store: The records (an instance must exist to be reached).
        kube: The started cluster client.
    """

    def __init__(
        self, store: Store, kube: KubeClient, *, read_only_reason: str | None = None
    ) -> None:
        self.store = store
        self.kube = kube
        self.read_only_reason = read_only_reason
        self.streams = PodStreams(kube.transport)
        self.ports = PortForwards(self.streams, self.running_pod)
        """The listening forwards."""

    async def aclose(self) -> None:
        """Stop every forward and close the WebSocket client."""
        try:
            await self.ports.aclose()
        finally:
            await self.streams.aclose()

    # -- exposure ----------------------------------------------------------------------------
    async def set_exposure(self, name: str, exposure: Exposure) -> Instance:
        """Make the instance private (a ClusterIP Service) or NodePort again, without a restart.

        Only the Service changes (the pod keeps running); forwards keep working either way. Going
        private releases the NodePort pair (another instance may take it); going back takes the
        same pair again if it is still free in the records and in the cluster, else the lowest
        free pair (so the URLs change only when the old ones were taken meanwhile).

        Raises:
            ReadOnlyMode: Writes are disabled.
            InstanceNotFound: No such instance.
            PortRangeExhausted: No free pair to go back to NodePorts (nothing changed).
            KubeError: The Service could not be rewritten (the record is put back).
        """
        if self.read_only_reason is not None:
            raise ReadOnlyMode(f"change how {name} is reached", self.read_only_reason)
        before = await self.store.instances.get(name)
        if before.exposure is exposure:
            return before
        settings = await self.store.settings.get()
        skip: set[int] = set()
        if exposure is Exposure.NODEPORT:  # ports other Services of the cluster hold
            skip = set((await self.kube.cluster.service_node_ports()).owners)
        port_range = (settings.port_range_start, settings.port_range_end)
        instance = await self.store.instances.set_exposure(
            name, exposure, port_range=port_range, skip_ports=skip
        )
        try:
            await self.kube.instances.replace_service(instance)
        except BaseException:
            # Back to NodePorts: the released pair may have been taken meanwhile, and the next
            # one must not be a pair another Service holds (ours still has the old pair).
            back = set() if before.exposure is Exposure.PRIVATE else await self._held(name)
            await asyncio.shield(
                self.store.instances.set_exposure(
                    name, before.exposure, port_range=port_range, skip_ports=back
                )
            )
            raise
        return instance

    async def _held(self, name: str) -> set[int]:
        """nodePorts other Services than ``name``'s hold (nothing known if the list fails)."""
        try:
            owners = (await self.kube.cluster.service_node_ports()).owners
        except (KubeError, OSError):
            return set()
        own = (self.kube.namespace, object_names(name)["service"])
        return {port for port, o in owners.items() if (o.namespace, o.service) != own}

    async def is_private(self, name: str) -> bool:
        """Whether instance ``name`` is reached through forwards only."""
        return (await self.store.instances.get(name)).exposure is Exposure.PRIVATE

    async def private_url(self, name: str, role: str) -> str:
        """The forwarded URL of a private instance's ``chrome`` or ``terminal`` page (the
        forward is opened on demand)."""
        port = CHROME_PORT if role == "chrome" else TERMINAL_PORT
        for fwd in await self.forward(name):
            if fwd.remote_port == port:
                return fwd.url
        raise ValidationFailed("role", f"no {role} page")  # pragma: no cover - both are opened

    # -- inspection --------------------------------------------------------------------------
    async def objects_yaml(self, name: str) -> list[ObjectYaml]:
        """Every object of instance ``name`` as YAML, secret values masked."""
        return await instance_yaml(self.store, self.kube, name)

    async def events(self, instance: str | None = None) -> list[EventInfo]:
        """Events of the namespace, or of one instance, newest first."""
        return await inspect_events(self.store, self.kube, instance)

    async def copy_items(self, name: str) -> list[tuple[str, str]]:
        """What can be copied about instance ``name``: (label, text), the name first.

        The pod and the ``kubectl`` lines need a pod; without one they are left out.
        """
        await self.store.instances.get(name)
        items = [("instance name", name)]
        pods = [p for p in await self.kube.cluster.list_pods(f"app={name}") if not p.terminating]
        if not pods:
            return items
        pod = pods[0].name
        context = (
            f"--context {shlex.quote(self.kube.transport.context_name)} "
            if self.kube.transport.context_name
            else ""
        )
        kubectl = f"kubectl {context}-n {shlex.quote(self.kube.namespace)}"
        items += [
            ("pod name", pod),
            ("kubectl exec", f"{kubectl} exec -it {pod} -c {CONTAINER} -- sh"),
            ("kubectl logs", f"{kubectl} logs -f {pod} -c {CONTAINER}"),
            ("kubectl describe", f"{kubectl} describe pod {pod}"),
        ]
        return items

    # -- pods --------------------------------------------------------------------------------
    async def running_pod(self, name: str) -> str:
        """The Running pod of instance ``name``.

        Raises:
            InstanceNotFound: No such instance.
            NotRunning: It has no Running pod (stopped, starting, crash-looping …).
        """
        await self.store.instances.get(name)
        return pod_state(name, await self.kube.cluster.list_pods(f"app={name}")).name

    @asynccontextmanager
    async def shell(
        self, name: str, command: list[str] | None = None, *, tty: bool = True
    ) -> AsyncIterator[ExecChannel]:
        """An exec session in the instance's container: ``command``, or bash/sh.

        Raises:
            ReadOnlyMode: The app runs read-only.
            InstanceNotFound, NotRunning, KubeError: As the message says; nothing was started.
        """
        if self.read_only_reason is not None:
            # A shell can change anything in the container: read-only means no shell.
            raise ReadOnlyMode(f"open a shell in {name}", self.read_only_reason)
        pod = await self.running_pod(name)
        async with self.streams.exec(pod, command or SHELL_PROBE, tty=tty) as channel:
            yield channel

    # -- forwards ----------------------------------------------------------------------------
    def forwards(self, instance: str | None = None) -> list[Forward]:
        """The forwards listening now (of one instance, or all), by instance and port."""
        return self.ports.forwards(instance)

    def forward_of(self, instance: str, remote_port: int) -> Forward | None:
        """The forward of ``instance``'s ``remote_port``, if one listens."""
        return self.ports.forward_of(instance, remote_port)

    async def forward(
        self, name: str, *, local_port: int | None = None, ports: tuple[int, ...] | None = None
    ) -> list[Forward]:
        """Listen on 127.0.0.1 for the instance's noVNC ports (see :meth:`PortForwards.open`)."""
        return await self.ports.open(name, local_port=local_port, ports=ports)

    async def stop_forwards(self, name: str) -> int:
        """Stop the forwards of instance ``name``; returns how many were listening."""
        return await self.ports.stop(name)
