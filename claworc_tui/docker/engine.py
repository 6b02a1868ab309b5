"""The one place that talks to the Docker engine: finding it, calling it, naming its errors.

The engine is found the way the ``docker`` CLI finds it: ``DOCKER_HOST`` if set, else the
socket ``/var/run/docker.sock``. A missing socket and a socket we may not open (not in the
``docker`` group) are told apart *before* the first call, each with what to do, because
aiohttp's own message for both is a bare ``Cannot connect``.

Every error of the engine becomes a :class:`~claworc_tui.docker.errors.DockerFault` here, so
nothing typed by aiodocker leaks past this package.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiodocker
import aiohttp

from claworc_tui.docker.errors import (
    DockerConflict,
    DockerFault,
    DockerNotFound,
    EngineUnavailable,
    PortTaken,
)

Json = dict[str, Any]
DEFAULT_SOCKET = "/var/run/docker.sock"
_PORT_IN_USE = re.compile(r"(?:0\.0\.0\.0|127\.0\.0\.1|\[?::\]?|[\d.]+):(\d+)")


def docker_host(environ: dict[str, str] | None = None) -> str:
    """The engine address the ``docker`` CLI would use (``DOCKER_HOST`` honoured)."""
    env = os.environ if environ is None else environ
    return env.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"


def check_socket(host: str) -> None:
    """Fail early, with a specific message, when a unix socket cannot be used.

    Raises:
        EngineUnavailable: The socket is missing, not a socket, or not ours to open.
    """
    if not host.startswith("unix://"):
        return
    path = Path(host.removeprefix("unix://"))
    if not path.exists():
        raise EngineUnavailable(
            f"no Docker engine at {path}: the socket does not exist (is dockerd running? "
            "`sudo systemctl start docker`, or set DOCKER_HOST; Docker contexts are not read: "
            "for the engine of DOCKER_CONTEXT or `docker context use`, set DOCKER_HOST to "
            "the address `docker context inspect` shows)"
        )
    if not path.is_socket():
        raise EngineUnavailable(f"{path} is not a socket (check DOCKER_HOST)")
    if not os.access(path, os.R_OK | os.W_OK):
        raise EngineUnavailable(
            f"permission denied on {path}: add yourself to the docker group "
            "(`sudo usermod -aG docker $USER`, then log in again) or run as root"
        )


def fault(exc: aiodocker.DockerError, *, what: str = "") -> DockerFault:
    """The :class:`DockerFault` for an aiodocker error (``what`` names the object)."""
    message = str(exc.message).strip()
    prefix = f"{what}: " if what else ""
    if exc.status == 404:
        return DockerNotFound(f"{prefix}{message}", 404)
    if exc.status == 409:
        return DockerConflict(f"{prefix}{message}", 409)
    if exc.status == 900:  # aiodocker's "cannot connect"
        return EngineUnavailable(f"the Docker engine does not answer: {message}", 900)
    lowered = message.lower()
    if "address already in use" in lowered or "port is already allocated" in lowered:
        found = _PORT_IN_USE.search(message)
        return PortTaken(int(found.group(1)) if found else None, message)
    return DockerFault(f"{prefix}{message}", exc.status)


class DockerEngine:
    """A connection to one engine. Open with :meth:`start`, close with :meth:`aclose`.

    Args:
        host: ``unix:///path`` or ``tcp://host:port``; None reads ``DOCKER_HOST``.
    """

    def __init__(self, host: str | None = None) -> None:
        self.host = host or docker_host()
        self._docker: aiodocker.Docker | None = None
        self.version: str = ""
        """The engine's version, once started."""

    @property
    def api(self) -> aiodocker.Docker:
        """The aiodocker client (started)."""
        if self._docker is None:
            raise EngineUnavailable("the Docker engine connection is not open")
        return self._docker

    async def start(self) -> None:
        """Open the connection and ask the engine its version.

        Raises:
            EngineUnavailable: The engine cannot be reached (the message says why).
        """
        check_socket(self.host)
        self._docker = aiodocker.Docker(url=self.host)
        try:
            info = await self.api.version()
        except aiodocker.DockerError as exc:
            await self.aclose()
            raise fault(exc) from None
        except (aiohttp.ClientError, OSError) as exc:
            await self.aclose()
            raise EngineUnavailable(
                f"the Docker engine at {self.host} does not answer: {exc}"
            ) from None
        self.version = str(info.get("Version", ""))

    async def aclose(self) -> None:
        """Close the connection (idempotent)."""
        docker, self._docker = self._docker, None
        if docker is not None:
            await docker.close()

    async def call(
        self,
        path: str,
        method: str = "GET",
        *,
        params: Json | None = None,
        body: Json | None = None,
        what: str = "",
    ) -> Any:
        """One request; the JSON answer (None for an empty one).

        Raises:
            DockerFault: The engine refused (404, 409, port taken …) or cannot be reached.
        """
        try:
            return await self.api._query_json(path, method, params=params, data=body)
        except aiodocker.DockerError as exc:
            raise fault(exc, what=what) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise EngineUnavailable(f"the Docker engine does not answer: {exc}") from None

    @asynccontextmanager
    async def stream(
        self, path: str, *, params: Json | None = None, what: str = ""
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """A streaming GET (events, logs), with no read timeout: the caller reads ``.content``.

        Raises:
            DockerFault: The engine refused or cannot be reached.
        """
        try:
            response = await self.api._do_query(path, "GET", params=params, timeout=None)
        except aiodocker.DockerError as exc:
            raise fault(exc, what=what) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise EngineUnavailable(f"the Docker engine does not answer: {exc}") from None
        try:
            yield response
        finally:
            response.release()
