"""Port-forwards to an instance's noVNC ports, as ``kubectl port-forward`` makes them.

A forward listens on 127.0.0.1 (never on other interfaces: the noVNC pages have no password) and
opens one port-forward WebSocket per accepted connection. The pod is remembered; when a
connection to it fails (the pod was replaced by a restart) the pod is looked up again, so a
forward outlives its pod.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import getpass
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from claworc_tui.k8s.errors import KubeError, KubeForbidden
from claworc_tui.k8s.manifests import CHROME_PORT, TERMINAL_PORT
from claworc_tui.k8s.podstreams import ForwardChannel, PodStreams
from claworc_tui.models.errors import ClaworcError, ValidationFailed

log = logging.getLogger(__name__)

VNC_PATH = "/vnc.html?autoconnect=true"
ROLES = {CHROME_PORT: "chrome", TERMINAL_PORT: "terminal"}


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


class PortForwards:
    """The forwards listening in this process, by instance and remote port.

    Args:
        streams: The pods' exec/port-forward WebSocket client.
        find_pod: The Running pod of an instance (raises when there is none).
    """

    def __init__(self, streams: PodStreams, find_pod: Callable[[str], Awaitable[str]]) -> None:
        self.streams = streams
        self.find_pod = find_pod
        self._forwards: dict[tuple[str, int], Forward] = {}

    async def aclose(self) -> None:
        """Stop every forward."""
        for key in list(self._forwards):
            await self._stop_one(key)

    def forwards(self, instance: str | None = None) -> list[Forward]:
        """The forwards listening now (of one instance, or all), by instance and port."""
        found = [f for f in self._forwards.values() if instance in (None, f.instance)]
        return sorted(found, key=lambda f: (f.instance, f.remote_port))

    def forward_of(self, instance: str, remote_port: int) -> Forward | None:
        """The forward of ``instance``'s ``remote_port``, if one listens."""
        return self._forwards.get((instance, remote_port))

    async def open(
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
        pod = await self.find_pod(name)
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
                await self._stop_one(key)
            raise
        return opened

    async def stop(self, name: str) -> int:
        """Stop the forwards of instance ``name``; returns how many were listening."""
        keys = [k for k in self._forwards if k[0] == name]
        for key in keys:
            await self._stop_one(key)
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

    async def _stop_one(self, key: tuple[str, int]) -> None:
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
                        fwd.pod = await self.find_pod(fwd.instance)
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
