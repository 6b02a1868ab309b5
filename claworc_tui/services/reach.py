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
import contextlib
import errno
import getpass
import logging
import os
import shlex
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeError, KubeForbidden
from claworc_tui.k8s.manifests import CHROME_PORT, CONTAINER, TERMINAL_PORT
from claworc_tui.k8s.podstreams import ExecChannel, ForwardChannel, PodStreams
from claworc_tui.models.cluster import EventInfo
from claworc_tui.models.errors import ClaworcError, ValidationFailed
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import Instance
from claworc_tui.models.names import object_names
from claworc_tui.models.pod import PodInfo
from claworc_tui.services.errors import ReadOnlyMode
from claworc_tui.services.inspect import ObjectYaml, instance_yaml
from claworc_tui.services.inspect import events as inspect_events
from claworc_tui.services.store import Store

log = logging.getLogger(__name__)

#: What ``S`` runs: bash if the image has it, else sh (as k9s does).
SHELL_PROBE = ["sh", "-c", "command -v bash >/dev/null && exec bash || exec sh"]
VNC_PATH = "/vnc.html?autoconnect=true"
ROLES = {CHROME_PORT: "chrome", TERMINAL_PORT: "terminal"}


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


@dataclass
class Forward:
    """One listening forward: 127.0.0.1:``local_port`` → the instance's pod ``remote_port``."""

    instance: str
    remote_port: int
    local_port: int
    server: asyncio.Server
    pod: str | None = None
    """The pod connections go to now (looked up again after a failure)."""
    connections: int = 0
    """Connections carried so far."""
    active: int = 0
    last_error: str | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def role(self) -> str:
        return ROLES.get(self.remote_port, str(self.remote_port))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.local_port}{VNC_PATH}"


def ssh_hint(forwards: list[Forward], environ: Mapping[str, str] | None = None) -> str:
    """The ``ssh -L`` line that makes the forwards reachable on the user's own machine.

    Inside an SSH session the address and port the user connected to (``SSH_CONNECTION``) are
    used, else this machine's host name.
    """
    env = os.environ if environ is None else environ
    user = getpass.getuser()
    host, port = socket.gethostname(), "22"
    parts = env.get("SSH_CONNECTION", "").split()
    if len(parts) == 4:
        host, port = parts[2], parts[3]
    if ":" in host:
        host = f"[{host}]"
    tunnels = " ".join(f"-L {f.local_port}:127.0.0.1:{f.local_port}" for f in forwards)
    via = "" if port == "22" else f"-p {port} "
    return f"ssh -N {via}{tunnels} {user}@{host}"


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
        self._forwards: dict[tuple[str, int], Forward] = {}

    async def aclose(self) -> None:
        """Stop every forward and close the WebSocket client."""
        for key in list(self._forwards):
            await self._stop(key)
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
        found = [f for f in self._forwards.values() if instance in (None, f.instance)]
        return sorted(found, key=lambda f: (f.instance, f.remote_port))

    def forward_of(self, instance: str, remote_port: int) -> Forward | None:
        return self._forwards.get((instance, remote_port))

    async def forward(
        self, name: str, *, local_port: int | None = None, ports: tuple[int, ...] | None = None
    ) -> list[Forward]:
        """Listen on 127.0.0.1 for the instance's noVNC ports (both unless ``ports``).

        ``local_port`` is the first local port; the next ports follow it. Already listening
        forwards are returned as they are.

        Raises:
            InstanceNotFound, NotRunning: As the message says.
            ValidationFailed: A local port is taken or out of range; nothing is listening then.
        """
        remote = ports or (CHROME_PORT, TERMINAL_PORT)
        pod = await self.running_pod(name)
        if local_port is not None and not 1 <= local_port <= 65535 - len(remote) + 1:
            raise ValidationFailed("local_port", f"local port {local_port} is out of range")
        opened: list[Forward] = []
        created: list[tuple[str, int]] = []
        try:
            for i, port in enumerate(remote):
                existing = self._forwards.get((name, port))
                if existing is not None:
                    opened.append(existing)
                    continue
                wanted = None if local_port is None else local_port + i
                fwd = await self._listen(name, port, wanted)
                fwd.pod = pod
                self._forwards[(name, port)] = fwd
                created.append((name, port))
                opened.append(fwd)
        except BaseException:
            # Only what this call opened: forwards that were listening before stay.
            for key in created:
                await self._stop(key)
            raise
        return opened

    async def stop_forwards(self, name: str) -> int:
        """Stop the forwards of instance ``name``; returns how many were listening."""
        keys = [k for k in self._forwards if k[0] == name]
        for key in keys:
            await self._stop(key)
        return len(keys)

    async def _listen(self, name: str, port: int, local_port: int | None) -> Forward:
        holder: list[Forward] = []

        async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            fwd = holder[0]
            task = asyncio.current_task()
            if task is not None:
                fwd.tasks.add(task)
            try:
                await self._carry(fwd, reader, writer)
            finally:
                if task is not None:
                    fwd.tasks.discard(task)

        try:
            server = await asyncio.start_server(accepted, "127.0.0.1", local_port or 0)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ValidationFailed(
                    "local_port",
                    f"127.0.0.1:{local_port} is already in use by another program: "
                    "choose another local port",
                ) from None
            raise ValidationFailed(
                "local_port", f"cannot listen on 127.0.0.1:{local_port}: {exc.strerror}"
            ) from None
        bound = server.sockets[0].getsockname()[1]
        fwd = Forward(instance=name, remote_port=port, local_port=bound, server=server)
        holder.append(fwd)
        log.info("forward %s:%s listening on 127.0.0.1:%s", name, port, bound)
        return fwd

    async def _stop(self, key: tuple[str, int]) -> None:
        fwd = self._forwards.pop(key, None)
        if fwd is None:
            return
        fwd.server.close()
        for task in list(fwd.tasks):
            task.cancel()
        await asyncio.gather(*fwd.tasks, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await fwd.server.wait_closed()

    async def _carry(
        self, fwd: Forward, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """One local connection: to the pod (looked up again if the remembered one failed)."""
        fwd.connections += 1
        fwd.active += 1
        try:
            for attempt in range(2):
                if fwd.pod is None or attempt:
                    try:
                        fwd.pod = await self.running_pod(fwd.instance)
                    except ClaworcError as exc:
                        fwd.last_error = str(exc)
                        return
                try:
                    async with self.streams.portforward(fwd.pod, fwd.remote_port) as channel:
                        fwd.last_error = None
                        await _pump(channel, reader, writer)
                        if channel.error:
                            fwd.last_error = channel.error
                    return
                except KubeForbidden as exc:
                    fwd.last_error = str(exc)
                    return
                except KubeError as exc:
                    fwd.last_error = str(exc)
                    log.info("forward %s:%s: %s", fwd.instance, fwd.remote_port, exc)
        finally:
            fwd.active -= 1
            writer.close()


async def _pump(
    channel: ForwardChannel, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Bytes both ways until the pod side closes (or the local side, a little later)."""

    async def up() -> None:
        while data := await reader.read(65536):
            await channel.send(data)

    async def down() -> None:
        while (data := await channel.receive()) is not None:
            writer.write(data)
            await writer.drain()

    sending, receiving = asyncio.create_task(up()), asyncio.create_task(down())
    tasks = [sending, receiving]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if not receiving.done():
            # The local side stopped sending (a half-close): let the answer finish.
            await asyncio.wait([receiving], timeout=10.0)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
