"""The pods' ``exec`` and ``portforward`` subresources over WebSocket, as the API server has them.

Exec (``GET …/pods/NAME/exec?command=…&stdin=…&tty=…``) speaks the channel protocols
``v5.channel.k8s.io`` … ``channel.k8s.io`` (the client's first supported choice wins): every
binary message starts with a channel byte — 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize.
From v4 on, the error channel carries one ``Status`` JSON when the command ends (``Success``, or
``NonZeroExitCode`` with the code in ``details.causes``); resize messages are
``{"Width": W, "Height": H}``; v5 adds channel 255, on which ``[255, 0]`` closes stdin.

Port-forward (``GET …/pods/NAME/portforward?ports=P``) speaks ``v4.channel.k8s.io`` (and the
older ``channel.k8s.io``): port ``i`` uses data channel ``2i`` and error channel ``2i+1``, and the
server's first message on each is the port number, two bytes little-endian. One WebSocket
carries one connection to each port; a client opens a WebSocket per local connection.

As on a real cluster the request is checked (pod, container, phase, RBAC) before the upgrade, so
a plain GET gets the same ``Status`` error a failed upgrade would have had. A pod that goes away
ends its sessions: exec reports exit code 137, forwarded connections are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from claworc_emulator.errors import bad_request, forbidden
from claworc_emulator.exec_session import ExecSession
from claworc_emulator.fake_shell import FakeShell
from claworc_emulator.object_store import Change, Obj, meta
from claworc_emulator.pod_network import PodNetwork
from claworc_emulator.pod_spec_rules import pod_containers
from claworc_emulator.resources import BY_PLURAL

if TYPE_CHECKING:
    from claworc_emulator.server import EmulatorServer

POD = BY_PLURAL["pods"]
EXEC_PROTOCOLS = (
    "v5.channel.k8s.io",
    "v4.channel.k8s.io",
    "v3.channel.k8s.io",
    "v2.channel.k8s.io",
    "channel.k8s.io",
)
FORWARD_PROTOCOLS = ("v4.channel.k8s.io", "channel.k8s.io")
_TRUE = {"1", "t", "T", "true", "TRUE", "True"}


class PodStreams:
    """Serves exec and portforward; a store subscriber, to end sessions of deleted pods."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.network = PodNetwork()
        self.without_bash: set[str] = set()
        """Pod names whose image has no bash (only sh)."""
        self.resizes: list[tuple[str, int, int]] = []
        """(pod, width, height) of every resize message received."""
        self.execs: list[tuple[str, list[str], str]] = []
        """(pod, command, negotiated protocol) of every exec session opened."""
        self.forwards: list[tuple[str, int]] = []
        """(pod, port) of every forwarded connection opened."""
        self._ended: dict[str, asyncio.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        server.store.subscribers.add(self)

    # -- store subscriber --------------------------------------------------------------------
    def push(self, change: Change) -> None:
        if change.res.plural != "pods":
            return
        m = meta(change.obj)
        if change.type == "DELETED" or m.get("deletionTimestamp"):
            gone = change.type == "DELETED"
            event = self._ended.pop(m["uid"], None) if gone else self._ended.get(m["uid"])
            if event is not None:
                event.set()
            task = asyncio.get_running_loop().create_task(
                self.network.drop_pod(change.namespace, m["uid"])
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def expire(self, compacted: int) -> None:
        del compacted

    async def aclose(self) -> None:
        for event in self._ended.values():
            event.set()
        await self.network.aclose()

    def _pod_ended(self, uid: str) -> asyncio.Event:
        return self._ended.setdefault(uid, asyncio.Event())

    # -- entry -------------------------------------------------------------------------------
    async def serve(self, request: web.Request, ns: str, name: str, sub: str) -> web.StreamResponse:
        verb = "create"  # RBAC: exec and portforward need "create" on the subresource
        if self.server.frontend.is_denied(verb, f"pods/{sub}", ns):
            user = self.server.config.user
            raise forbidden(
                POD,
                name,
                f'User "{user}" cannot {verb} resource "pods/{sub}" in API group "" in the '
                f'namespace "{ns}"',
                sub,
            )
        pod = self.server.api.get(POD, ns, name)
        if sub == "exec":
            return await self._exec(request, ns, pod)
        return await self._portforward(request, ns, pod)

    @staticmethod
    def _upgrade(request: web.Request, protocols: tuple[str, ...]) -> web.WebSocketResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            raise bad_request("Upgrade request required")
        asked = [
            p.strip()
            for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")
            if p.strip()
        ]
        if asked and not any(p in protocols for p in asked):
            raise bad_request(f"requested protocol(s) are not supported: {asked}")
        return web.WebSocketResponse(protocols=protocols if asked else (), max_msg_size=0)

    # -- exec --------------------------------------------------------------------------------
    async def _exec(self, request: web.Request, ns: str, pod: Obj) -> web.StreamResponse:
        q = request.query
        name, uid = meta(pod)["name"], meta(pod)["uid"]
        argv = q.getall("command", [])
        if not argv:
            raise bad_request("you must specify at least one command for the container")
        names = [str(c.get("name")) for c in pod_containers(pod)]
        container = q.get("container") or (names[0] if len(names) == 1 else "")
        if container not in names:
            raise bad_request(
                f"a container name must be specified for pod {name}, choose one of: {names}"
                if not container
                else f"container {container} is not valid for pod {name}"
            )
        stdin, stdout, stderr, tty = (
            q.get(k, "") in _TRUE for k in ("stdin", "stdout", "stderr", "tty")
        )
        if not (stdin or stdout or stderr):
            raise bad_request("you must specify at least 1 of stdin, stdout, stderr")
        self._require_running(pod, container)
        ws = self._upgrade(request, EXEC_PROTOCOLS)
        await ws.prepare(request)
        protocol = ws.ws_protocol or "channel.k8s.io"
        self.execs.append((name, argv, protocol))
        shell = FakeShell(pod=name, has_bash=name not in self.without_bash, tty=tty)
        session = ExecSession(ws, protocol, shell, argv, name, self.resizes)
        await session.run(self._pod_ended(uid))
        return ws

    @staticmethod
    def _require_running(pod: Obj, container: str) -> None:
        status = pod.get("status") or {}
        phase = status.get("phase", "Pending")
        if phase in ("Succeeded", "Failed"):
            raise bad_request(
                f"cannot exec into a container in a completed pod; current phase is {phase}"
            )
        if meta(pod).get("deletionTimestamp"):
            raise bad_request(f'unable to upgrade connection: container not found ("{container}")')
        for cs in status.get("containerStatuses") or []:
            if cs.get("name") == container and "running" in (cs.get("state") or {}):
                return
        raise bad_request(f'unable to upgrade connection: container not found ("{container}")')

    # -- portforward -------------------------------------------------------------------------
    async def _portforward(self, request: web.Request, ns: str, pod: Obj) -> web.StreamResponse:
        name, uid = meta(pod)["name"], meta(pod)["uid"]
        ports: list[int] = []
        for raw in request.query.getall("ports", []):
            for part in raw.split(","):
                if not part.strip().isdigit() or not 0 < int(part) < 65536:
                    raise bad_request(f"invalid port {part!r}")
                ports.append(int(part))
        if not ports:
            raise bad_request('query parameter "ports" is required')
        if (pod.get("status") or {}).get("phase") != "Running" or meta(pod).get(
            "deletionTimestamp"
        ):
            phase = (pod.get("status") or {}).get("phase", "Pending")
            raise bad_request(f"unable to upgrade connection: pod {name} is not running ({phase})")
        ws = self._upgrade(request, FORWARD_PROTOCOLS)
        await ws.prepare(request)
        ended = self._pod_ended(uid)
        writers: list[asyncio.StreamWriter | None] = []
        pumps: list[asyncio.Task[None]] = []
        for i, port in enumerate(ports):
            prefix = struct.pack("<H", port)
            await ws.send_bytes(bytes([2 * i]) + prefix)
            await ws.send_bytes(bytes([2 * i + 1]) + prefix)
            writer = await self._connect(ws, ns, name, uid, i, port, pumps)
            writers.append(writer)
        try:
            await self._forward_in(ws, writers, pumps, ended)
        finally:
            for writer in writers:
                if writer is not None:
                    writer.close()
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            await ws.close()
        return ws

    async def _connect(
        self,
        ws: web.WebSocketResponse,
        ns: str,
        name: str,
        uid: str,
        index: int,
        port: int,
        pumps: list[asyncio.Task[None]],
    ) -> asyncio.StreamWriter | None:
        where = await self.network.endpoint(ns, name, uid, port)
        try:
            if where is None:
                raise ConnectionRefusedError
            reader, writer = await asyncio.open_connection(*where)
        except OSError:
            message = (
                f"error forwarding port {port} to pod {uid}, uid : failed to connect to "
                f'localhost:{port} inside namespace "{uid}", IPv4: dial tcp4 127.0.0.1:{port}: '
                "connect: connection refused IPv6 dial tcp6: address localhost: no suitable address"
            )
            await ws.send_bytes(bytes([2 * index + 1]) + message.encode())
            return None
        self.forwards.append((name, port))
        pumps.append(asyncio.create_task(_pump_out(reader, ws, 2 * index)))
        return writer

    @staticmethod
    async def _forward_in(
        ws: web.WebSocketResponse,
        writers: list[asyncio.StreamWriter | None],
        pumps: list[asyncio.Task[None]],
        ended: asyncio.Event,
    ) -> None:
        """Carry the client's data to the pod until the client, the pod or every port is done."""
        if not pumps:
            return
        gone = asyncio.create_task(ended.wait())
        outs: asyncio.Future[Any] = asyncio.gather(*pumps, return_exceptions=True)
        try:
            while True:
                receive = asyncio.create_task(ws.receive())
                waiting: set[asyncio.Future[Any]] = {receive, gone, outs}
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if receive not in done:
                    receive.cancel()
                    return
                msg = receive.result()
                if msg.type != WSMsgType.BINARY:
                    return
                data: bytes = msg.data
                if not data or data[0] % 2 or data[0] // 2 >= len(writers):
                    continue
                writer = writers[data[0] // 2]
                if writer is not None and len(data) > 1:
                    writer.write(data[1:])
                    await writer.drain()
        finally:
            gone.cancel()
            outs.cancel()


async def _pump_out(reader: asyncio.StreamReader, ws: web.WebSocketResponse, channel: int) -> None:
    """The pod's side of one forwarded connection, to the client, until the pod closes it."""
    with contextlib.suppress(ConnectionError):
        while chunk := await reader.read(65536):
            if ws.closed:
                return
            await ws.send_bytes(bytes([channel]) + chunk)
