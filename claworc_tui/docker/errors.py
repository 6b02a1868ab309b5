"""What can go wrong talking to a Docker engine, each with a message that says what to do."""

from __future__ import annotations

from claworc_tui.models.errors import ClaworcError


class DockerFault(ClaworcError):
    """Base of every Docker backend error."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class EngineUnavailable(DockerFault):
    """No engine answers on the socket: it is missing, refused, or we may not use it."""


class DockerNotFound(DockerFault):
    """404: the container, volume or network does not exist."""


class DockerConflict(DockerFault):
    """409: a name is taken, or the object is in a state that forbids the call."""


class ImageMissing(DockerFault):
    """The image is not on the engine (and this backend never pulls on its own)."""

    def __init__(self, image: str) -> None:
        super().__init__(
            f"the image {image} is not on this Docker engine: run `docker pull {image}` "
            "(or `docker load` it) first, or choose another image in Settings",
            404,
        )
        self.image = image


class PortTaken(DockerFault):
    """A host port the instance publishes is already in use on this host."""

    def __init__(self, port: int | None, detail: str) -> None:
        where = f"port {port}" if port else "a port"
        super().__init__(
            f"{where} is already taken on this host ({detail}); free it or give the "
            "instance another port pair",
            500,
        )
        self.port = port


class NotOurs(DockerFault):
    """An object of the instance's name exists but is not this database's: never touched."""

    def __init__(self, what: str, whose: str) -> None:
        super().__init__(
            f"{what} exists and is not this database's ({whose}): nothing was changed; "
            "remove or rename it by hand if it is really unused",
            409,
        )
        self.what = what
