"""The emulated pods' network: a fake noVNC HTTP server on 6081 and 6082 of every pod.

Port-forward (:mod:`claworc_emulator.exec_and_portforward`) connects to these like the kubelet
connects to ``localhost:PORT`` inside the pod's network namespace. Each (pod, port) gets its own
listener on 127.0.0.1 that answers HTTP/1.1 (keep-alive) with a small noVNC-like page naming the pod
and the port, so a test can tell which pod answered, e.g. after a restart. When the pod goes away
its listeners and open connections are closed, as a pod's sockets are.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

VNC_PAGES = {6081: "chrome", 6082: "terminal"}


@dataclass
class _Listener:
    server: asyncio.Server
    port: int
    writers: set[asyncio.StreamWriter] = field(default_factory=set)


class PodNetwork:
    """Listeners for (namespace, pod uid, container port); opened on first use."""

    def __init__(self) -> None:
        self._listeners: dict[tuple[str, str, int], _Listener] = {}
        self.served: list[tuple[str, int, str]] = []
        """(pod name, container port, request path) of every request answered."""

    async def endpoint(self, ns: str, pod: str, uid: str, port: int) -> tuple[str, int] | None:
        """Where the pod's ``port`` listens, or None when nothing listens there."""
        if port not in VNC_PAGES:
            return None
        key = (ns, uid, port)
        listener = self._listeners.get(key)
        if listener is None:
            holder: list[_Listener] = []

            async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                listener = holder[0]
                listener.writers.add(writer)
                try:
                    await self._serve_http(pod, port, reader, writer)
                except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    pass
                finally:
                    listener.writers.discard(writer)
                    writer.close()

            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            listener = _Listener(server, server.sockets[0].getsockname()[1])
            holder.append(listener)
            self._listeners[key] = listener
        return "127.0.0.1", listener.port

    async def _serve_http(
        self, pod: str, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _version = ([*lines[0].split(" "), "", ""])[:3]
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in lines[1:] if line)
            }
            length = int(headers.get("content-length", "0") or 0)
            if length:
                await reader.readexactly(length)
            self.served.append((pod, port, path))
            page = VNC_PAGES[port]
            if method in ("GET", "HEAD") and path.split("?")[0] in ("/", "/vnc.html"):
                status = "200 OK"
                body = (
                    f"<!DOCTYPE html><html><head><title>noVNC {page}</title></head>"
                    f"<body>noVNC {page} of pod {pod} on port {port}</body></html>\n"
                ).encode()
            else:
                status, body = "404 Not Found", b"404 page not found\n"
            close = headers.get("connection", "").lower() == "close"
            response = (
                f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nX-Pod: {pod}\r\n"
                f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
            ).encode()
            writer.write(response + (b"" if method == "HEAD" else body))
            await writer.drain()
            if close:
                return

    async def drop_pod(self, ns: str, uid: str) -> None:
        """The pod is gone: close its listeners and every connection to them."""
        for key in [k for k in self._listeners if k[0] == ns and k[1] == uid]:
            await self._close(self._listeners.pop(key))

    async def aclose(self) -> None:
        listeners, self._listeners = list(self._listeners.values()), {}
        for listener in listeners:
            await self._close(listener)

    @staticmethod
    async def _close(listener: _Listener) -> None:
        listener.server.close()
        for writer in list(listener.writers):
            writer.close()
        with contextlib.suppress(asyncio.TimeoutError):
            async with asyncio.timeout(1.0):
                await listener.server.wait_closed()
