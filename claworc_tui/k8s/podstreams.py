"""Exec and port-forward into a pod through the API server's WebSocket subresources.

The connection is made by kubernetes_asyncio's ``WsApiClient`` (the generated
``connect_get_namespaced_pod_exec``/``…_portforward`` with ``_preload_content=False`` hand back
aiohttp's WebSocket), built from the same ``Configuration`` as the transport, so auth and TLS are
the cluster's. kubernetes_asyncio only reads whole exec outputs itself; the channel framing for an
interactive session and for port-forward is done here:

- exec offers ``v5.channel.k8s.io`` then ``v4.channel.k8s.io``. Every message starts with a
  channel byte (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize); the error channel carries a
  ``Status`` when the command ends; v5 can close stdin with ``[255, 0]``.
- port-forward speaks ``v4.channel.k8s.io``: one WebSocket per connection and port, data on
  channel 0, errors on channel 1, and the server's first message on each is the port number
  (two bytes, little-endian).

aiohttp raises on a refused upgrade without the body, so the reason is fetched with a plain
GET of the same URL: the API server checks the pod, container and RBAC before it looks at the
upgrade, so that GET gets the same ``Status`` and our error can say what is wrong.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from claworc_tui.k8s.errors import (
    KubeError,
    KubeTimeout,
    error_from_status,
    error_from_transport,
)
from claworc_tui.k8s.http import aiohttp
from claworc_tui.k8s.kubelib import WsApiClient, k8s_client
from claworc_tui.k8s.manifests import CONTAINER
from claworc_tui.k8s.transport import TRANSPORT_ERRORS, KubeTransport

EXEC_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
FORWARD_PROTOCOL = "v4.channel.k8s.io"
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
CONNECT_TIMEOUT = 15.0


class ExecChannel:
    """An open exec session: write stdin, resize, read stdout/stderr, then the exit code."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, protocol: str) -> None:
        self._ws = ws
        self.protocol = protocol
        """The negotiated subprotocol (``v5.channel.k8s.io`` or ``v4.channel.k8s.io``)."""
        self.exit_code: int | None = None
        """The command's exit code once the error channel said it (0 on success)."""
        self.error: str | None = None
        """A failure that is not an exit code (the command could not start, …)."""

    async def write(self, data: bytes) -> None:
        """Send bytes to the command's stdin."""
        if data and not self._ws.closed:
            await self._ws.send_bytes(bytes([STDIN]) + data)

    async def resize(self, cols: int, rows: int) -> None:
        """Tell the pod's terminal its new size."""
        if not self._ws.closed:
            size = json.dumps({"Width": cols, "Height": rows}).encode()
            await self._ws.send_bytes(bytes([RESIZE]) + size)

    async def close_stdin(self) -> bool:
        """Close the command's stdin (v5 only); False when the protocol cannot."""
        if self.protocol != "v5.channel.k8s.io" or self._ws.closed:
            return False
        await self._ws.send_bytes(bytes([CLOSE, STDIN]))
        return True

    async def read(self) -> tuple[int, bytes] | None:
        """The next output as (channel, bytes) — STDOUT or STDERR — or None when it ended."""
        while True:
            msg = await self._ws.receive()
            if msg.type != aiohttp.WSMsgType.BINARY:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    continue
                return None
            data: bytes = msg.data
            if len(data) < 2:
                continue
            channel, body = data[0], data[1:]
            if channel in (STDOUT, STDERR):
                return channel, body
            if channel == ERROR:
                self._status(body)

    def _status(self, body: bytes) -> None:
        try:
            status = json.loads(body)
        except ValueError:
            self.error = body.decode(errors="replace").strip()
            return
        if not isinstance(status, dict):
            self.error = str(status)
            return
        if status.get("status") == "Success":
            self.exit_code = 0
            return
        for cause in (status.get("details") or {}).get("causes") or []:
            if cause.get("reason") == "ExitCode" and str(cause.get("message", "")).isdigit():
                self.exit_code = int(cause["message"])
                return
        self.error = str(status.get("message") or "the command failed")


class ForwardChannel:
    """One forwarded connection to a pod's port."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, port: int) -> None:
        self._ws = ws
        self.port = port
        self.error: str | None = None
        """What the pod side reported on the error channel (nothing listens on the port …)."""

    async def handshake(self) -> None:
        """Read the port-number message the server sends first on the data and error channels."""
        seen: set[int] = set()
        while len(seen) < 2:
            msg = await self._ws.receive()
            if msg.type != aiohttp.WSMsgType.BINARY or len(msg.data) < 3:
                raise KubeError(
                    f"port-forward to port {self.port}: the API server closed the connection",
                    reason="ForwardClosed",
                )
            seen.add(msg.data[0])

    async def send(self, data: bytes) -> None:
        """Carry bytes to the pod's port."""
        if data and not self._ws.closed:
            await self._ws.send_bytes(bytes([0]) + data)

    async def receive(self) -> bytes | None:
        """The next bytes from the pod's port, or None when the connection ended."""
        while True:
            msg = await self._ws.receive()
            if msg.type != aiohttp.WSMsgType.BINARY:
                return None
            data: bytes = msg.data
            if not data:
                continue
            if data[0] == 1:
                self.error = data[1:].decode(errors="replace").strip() or self.error
                continue
            if data[0] == 0 and len(data) > 1:
                return data[1:]


class PodStreams:
    """Opens exec sessions and port-forward connections; one WebSocket client, closed at the end.

    Args:
        transport: The started transport whose cluster, credentials and namespace are used.
    """

    def __init__(self, transport: KubeTransport) -> None:
        self._transport = transport
        self._ws_client: Any = None
        self._core: Any = None
        self._source: Any = None

    async def _api(self) -> Any:
        api_client = self._transport.api_client
        if api_client is None:
            raise KubeError("the Kubernetes client is not started", reason="NotStarted")
        # Follow the transport: when it makes a new client (fresh credentials), so do we.
        if self._core is None or self._source is not api_client:
            await self.aclose()
            self._ws_client = WsApiClient(configuration=api_client.configuration)
            self._ws_client.user_agent = api_client.user_agent
            self._core = k8s_client.CoreV1Api(self._ws_client)
            self._source = api_client
        return self._core

    async def aclose(self) -> None:
        """Close the WebSocket client's session (safe to call twice)."""
        ws_client, self._ws_client, self._core = self._ws_client, None, None
        if ws_client is not None:
            await ws_client.close()

    @asynccontextmanager
    async def exec(
        self,
        pod: str,
        command: list[str],
        *,
        container: str = CONTAINER,
        tty: bool = True,
        stdin: bool = True,
    ) -> AsyncIterator[ExecChannel]:
        """Run ``command`` in the pod's container; the session ends when the block exits.

        Raises:
            KubeError: The pod, the container or the permission is missing (the message says).
        """
        params: dict[str, Any] = {
            "command": command,
            "container": container,
            "stdin": stdin,
            "stdout": True,
            "stderr": not tty,
            "tty": tty,
        }
        query = [("command", c) for c in command] + [
            (k, str(v).lower()) for k, v in params.items() if k != "command"
        ]
        async with self._connect(
            "exec", pod, "connect_get_namespaced_pod_exec", params, query, EXEC_PROTOCOLS
        ) as (ws, protocol):
            yield ExecChannel(ws, protocol)

    @asynccontextmanager
    async def portforward(self, pod: str, port: int) -> AsyncIterator[ForwardChannel]:
        """One connection to ``port`` of the pod, ready to carry bytes.

        Raises:
            KubeError: The pod is missing or not running, or the permission is missing.
        """
        params: dict[str, Any] = {"ports": port}
        query = [("ports", str(port))]
        async with self._connect(
            "portforward",
            pod,
            "connect_get_namespaced_pod_portforward",
            params,
            query,
            (FORWARD_PROTOCOL,),
        ) as (ws, _protocol):
            channel = ForwardChannel(ws, port)
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT):
                    await channel.handshake()
            except TimeoutError:
                raise KubeTimeout(
                    f"port-forward to {pod}:{port}: no answer in {CONNECT_TIMEOUT:.0f}s",
                    reason="Timeout",
                ) from None
            yield channel

    @asynccontextmanager
    async def _connect(
        self,
        sub: str,
        pod: str,
        method: str,
        params: dict[str, Any],
        query: list[tuple[str, str]],
        protocols: tuple[str, ...],
    ) -> AsyncIterator[tuple[aiohttp.ClientWebSocketResponse, str]]:
        transport = self._transport
        namespace = transport.namespace
        resource = f"pods/{sub}"
        started = time.monotonic()
        fn = getattr(await self._api(), method)
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                pending = await fn(
                    name=pod,
                    namespace=namespace,
                    _preload_content=False,
                    _headers={"sec-websocket-protocol": ",".join(protocols)},
                    **params,
                )
                ws: aiohttp.ClientWebSocketResponse = await pending
        except aiohttp.WSServerHandshakeError as exc:
            error = await self._refusal(sub, pod, exc.status, query)
            transport.record("create", resource, pod, namespace, exc.status, started, error.reason)
            raise error from None
        except TRANSPORT_ERRORS as exc:
            error = error_from_transport(
                exc,
                transport.server_url,
                verb="create",
                resource=resource,
                name=pod,
                namespace=namespace,
            )
            transport.record("create", resource, pod, namespace, None, started, error.reason)
            raise error from None
        transport.record("create", resource, pod, namespace, 101, started)
        # aiohttp only records the negotiated subprotocol when it was given ``protocols=``; the
        # WsApiClient passes ours as a header, so read the answer from the response.
        response = getattr(ws, "_response", None)
        answered = response.headers.get("Sec-WebSocket-Protocol", "") if response else ""
        try:
            yield ws, answered or protocols[-1]
        finally:
            await ws.close()

    async def _refusal(
        self, sub: str, pod: str, status: int, query: list[tuple[str, str]]
    ) -> KubeError:
        """The reason an upgrade was refused, from a plain GET of the same URL."""
        transport = self._transport
        info: dict[str, Any] = {
            "verb": "create",
            "resource": f"pods/{sub}",
            "name": pod,
            "namespace": transport.namespace,
        }
        body = b""
        try:
            api_client = transport.api_client
            async with asyncio.timeout(CONNECT_TIMEOUT):
                resp = await api_client.call_api(
                    f"/api/v1/namespaces/{{namespace}}/pods/{{name}}/{sub}",
                    "GET",
                    {"namespace": transport.namespace, "name": pod},
                    query,
                    {"Accept": "*/*"},
                    auth_settings=["BearerToken"],
                    _preload_content=False,
                )
                async with resp:
                    if int(resp.status) == status:
                        body = await resp.read()
        except TRANSPORT_ERRORS:
            pass  # the status code alone still makes an error below
        except KubeError:
            pass
        error = error_from_status(status, body, None, **info)
        if not body or "Upgrade request required" in str(error):
            error = KubeError(
                f"the API server refused the {sub} connection to pod {pod} (HTTP {status})",
                status=status,
                reason="UpgradeRefused",
                **info,
            )
        return error
