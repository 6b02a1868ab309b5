"""A real HTTP proxy in front of the emulator that spoils what proxies really spoil.

It forwards every request to the emulator; watch responses are relayed line by line, and the
test can splice lines of its own into every open watch (an HTML error page, a truncated JSON
line, a JSON value that is not an object) or have the next requests answered ``502 Bad Gateway``
with an HTML body, as a load balancer in front of an API server does when its backend restarts.
"""

from __future__ import annotations

import asyncio
import re
from contextlib import suppress

import aiohttp
from aiohttp import web

HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}


class WatchProxy:
    """Forwards to ``upstream``; see :meth:`splice` and :meth:`bad_gateway`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.watches_opened = 0
        self._streams: set[asyncio.Queue[bytes | None]] = set()
        self._bad_gateway = 0
        self._bad_gateway_path: re.Pattern[str] | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        for queue in list(self._streams):
            queue.put_nowait(None)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def open_watches(self) -> int:
        return len(self._streams)

    @property
    def bad_gateway_left(self) -> int:
        return self._bad_gateway

    def splice(self, line: bytes) -> int:
        """Write ``line`` into every open watch stream; returns how many streams got it."""
        for queue in self._streams:
            queue.put_nowait(line)
        return len(self._streams)

    def bad_gateway(self, times: int, path: str = r".") -> None:
        """Answer the next ``times`` requests whose path matches with an HTML 502."""
        self._bad_gateway = times
        self._bad_gateway_path = re.compile(path)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        pattern = self._bad_gateway_path
        if self._bad_gateway > 0 and pattern is not None and pattern.search(request.path):
            self._bad_gateway -= 1
            return web.Response(status=502, body=HTML_502, content_type="text/html")
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", *_HOP)}
        upstream = await self._session.request(
            request.method,
            f"{self.upstream}{request.path_qs}",
            headers=headers,
            data=await request.read(),
        )
        out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP}
        if request.query.get("watch", "").lower() not in ("true", "1"):
            async with upstream:
                body = await upstream.read()
            return web.Response(status=upstream.status, body=body, headers=out_headers)
        self.watches_opened += 1
        response = web.StreamResponse(status=upstream.status, headers=out_headers)
        await response.prepare(request)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._streams.add(queue)

        async def pump() -> None:
            try:
                async for line in upstream.content:
                    queue.put_nowait(line)
            except (aiohttp.ClientError, asyncio.CancelledError):
                pass
            finally:
                queue.put_nowait(None)

        pumping = asyncio.create_task(pump())
        try:
            while (line := await queue.get()) is not None:
                await response.write(line)
        except (ConnectionError, RuntimeError):
            pass  # the client hung up (it does, after a line it cannot read)
        finally:
            self._streams.discard(queue)
            pumping.cancel()
            with suppress(asyncio.CancelledError):
                await pumping
            upstream.release()
        return response
