"""Create, start, stop, restart, recreate and delete an instance's Docker objects.

Create is all or nothing: the image is checked first (this backend never pulls), then the
private folder, the volumes and the container are made and the container started; whatever
fails on the way (a port already taken on the host, most often) removes what *this call* made
(a volume of ours that was there before is data, and stays), so nothing is left half-made.

Nothing is changed that is not ours (:mod:`~claworc_tui.docker.owned`): start, stop, restart,
recreate and delete look the container up first (:meth:`DockerInstances.checked`) and act on
the id they checked, never on the name; a container or volume of the instance's name that
another database (or nobody) owns stops them with :class:`NotOurs`. Delete removes the
container, the four volumes and the private folder (keys included).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NotRequired, TypedDict, Unpack

from pydantic import SecretStr

from claworc_tui.docker import spec
from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.errors import DockerFault, DockerNotFound, ImageMissing, NotOurs
from claworc_tui.docker.owned import Ours, filters, is_ours, whose
from claworc_tui.k8s.manifests import CONFIG_KEY, PVC_MOUNTS
from claworc_tui.models.instance import Instance, Provider
from claworc_tui.paths import private_dir, remove_private, write_private

STOP_TIMEOUT = 10
"""Seconds a container gets to exit on SIGTERM before SIGKILL (``docker stop -t``)."""


class Build(TypedDict):
    """What a container is built from: the keywords of :meth:`DockerInstances.create` and
    :meth:`DockerInstances.recreate`."""

    image: str
    """The image; it must be on the engine (this backend never pulls)."""
    keys: Mapping[Provider, SecretStr]
    """The provider keys, written as files into the private folder."""
    config_text: str
    """The ``clawdbot.json`` the container mounts."""
    start: NotRequired[bool]
    """Start the container once it is made (default True)."""
    extra_env: NotRequired[dict[str, str] | None]
    """More environment variables for the container."""


@dataclass(frozen=True)
class Made:
    """What one :meth:`DockerInstances.create` made: only this is removed by its rollback."""

    container: str | None
    """The id the engine answered."""
    volumes: tuple[str, ...]
    """The volumes that did not exist before (one of ours that did is kept: it is data)."""
    folder: Path | None
    """The private folder, if it was new."""


class DockerInstances:
    """The instance operations on one engine.

    Args:
        engine: A started engine connection.
        root: Where each instance's private folder (keys, clawdbot.json) is made.
        owner: This database's owner id, put on every object as a label.
        bind_address: Host address the VNC ports are published on (127.0.0.1 by default).
        network: A user-defined network the containers join, or None for the default.
        privileged: Run containers ``--privileged`` (the default; see :func:`spec.container`).
    """

    def __init__(
        self,
        engine: DockerEngine,
        root: Path,
        *,
        owner: str | None = None,
        bind_address: str = "127.0.0.1",
        network: str | None = None,
        privileged: bool = True,
    ) -> None:
        self.engine = engine
        self.privileged = privileged
        self.root = root
        self.owner = owner
        self.bind_address = bind_address
        self.network = network

    def folder(self, name: str) -> Path:
        """The instance's private folder on this host."""
        return self.root / name

    # -- create ------------------------------------------------------------------------------

    async def create(self, instance: Instance, **build: Unpack[Build]) -> Made:
        """Make the folder, volumes and container of ``instance`` (from ``build``: see
        :class:`Build`) and start it; what it made (for :meth:`undo`, when a later step of the
        caller fails).

        Raises:
            ImageMissing: ``image`` is not on the engine (nothing was made).
            DockerConflict: A container of that name exists (nothing was made).
            PortTaken: A VNC port is in use on the host (what was made is removed).
            DockerFault: Another refusal (what was made is removed).
        """
        await self.check_image(build["image"])
        name = instance.name
        if await self.inspect(name) is not None:
            raise DockerFault(f"a container {spec.container_name(name)} already exists", 409)
        # POST /volumes/create on a name that exists answers 201 and keeps the old volume (its
        # labels, its data): look first, refuse one that is not ours, and roll back only what
        # this call made — never a volume that was there before.
        bodies = spec.volumes(instance, self.owner)
        new_volumes = []
        for body in bodies:
            if not await self._volume_exists(str(body["Name"]), name):
                new_volumes.append(str(body["Name"]))
        folder_existed = self.folder(name).exists()
        made: str | None = None
        try:
            self._write_folder(name, build)
            for body in bodies:
                if body["Name"] in new_volumes:
                    await self.engine.call(
                        "volumes/create", "POST", body=body, what=str(body["Name"])
                    )
            made = await self._create_container(instance, build)
            if build.get("start", True):
                await self.engine.call(f"containers/{made}/start", "POST", what=made)
        except BaseException:
            await self.undo(
                Made(made, tuple(new_volumes), None if folder_existed else self.folder(name))
            )
            raise
        return Made(made, tuple(new_volumes), None if folder_existed else self.folder(name))

    async def undo(self, made: Made) -> None:
        """Remove what one create made (by id and by the names that did not exist before)."""
        if made.container is not None:
            await self._force_remove(made.container)
        for vname in made.volumes:
            try:
                await self.engine.call(f"volumes/{vname}", "DELETE", what=vname)
            except DockerNotFound:
                continue
        if made.folder is not None:
            remove_private(made.folder)

    # -- ownership ---------------------------------------------------------------------------

    def is_ours(self, labels: Mapping[str, Any] | None, name: str) -> bool:
        """True when ``labels`` are those of instance ``name`` of this database (see
        :func:`~claworc_tui.docker.owned.is_ours`)."""
        return is_ours(labels, name, self.owner)

    async def checked(self, name: str) -> dict[str, Any] | None:
        """The inspect of instance ``name``'s container if it is ours; None if there is none.

        Raises:
            NotOurs: A container not ours holds the name (nothing is touched).
        """
        doc = await self.inspect(name)
        if doc is None:
            return None
        labels = (doc.get("Config") or {}).get("Labels")
        if not self.is_ours(labels, name):
            raise NotOurs(f"container {spec.container_name(name)}", whose(labels))
        return doc

    async def _id(self, name: str) -> str:
        doc = await self.checked(name)
        if doc is None:
            cname = spec.container_name(name)
            raise DockerNotFound(f"{cname}: no such container", 404)
        return str(doc["Id"])

    async def volume(self, vname: str) -> dict[str, Any] | None:
        """``docker volume inspect``, or None when there is no such volume."""
        try:
            doc: dict[str, Any] = await self.engine.call(f"volumes/{vname}", what=vname)
        except DockerNotFound:
            return None
        return doc

    async def _volume_exists(self, vname: str, name: str) -> bool:
        """Whether the volume exists (then it is instance ``name``'s of this database).

        Raises:
            NotOurs: It exists and is not ours.
        """
        found = await self.volume(vname)
        if found is not None and not self.is_ours(found.get("Labels"), name):
            raise NotOurs(f"volume {vname}", whose(found.get("Labels")))
        return found is not None

    async def recreate(self, instance: Instance, **build: Unpack[Build]) -> None:
        """Replace the container with one built from ``instance`` and ``build`` as they are
        now (new limits, keys, config); the volumes — the data — are kept.

        The new container is made first under a temporary name (created, not started: it
        holds no port), so a refusal (a CPU limit above the host's, a memory limit too small)
        leaves the old one as it was. Then the old one is stopped and set aside, the new one
        takes the name and starts; if that start fails, the new one is removed and the old one
        gets its name back (and is started again if it was running).

        Raises:
            ImageMissing: ``image`` is not on the engine (the old container is untouched).
            NotOurs: A container not ours holds the name (nothing is touched).
            DockerFault: The new container could not be made or started (the old one is kept).
        """
        await self.check_image(build["image"])
        name = instance.name
        start = build.get("start", True)
        old = await self.checked(name)
        self._write_folder(name, build)
        if old is None:
            made = await self._create_container(instance, build)
            if start:
                await self.engine.call(f"containers/{made}/start", "POST", what=made)
            return
        cname = spec.container_name(name)
        suffix = uuid.uuid4().hex[:8]
        new = await self._create_container(instance, build, as_name=f"{cname}-new-{suffix}")
        old_id, was_running = str(old["Id"]), bool((old.get("State") or {}).get("Running"))
        try:
            await self.engine.call(
                f"containers/{old_id}/stop", "POST", params={"t": STOP_TIMEOUT}, what=cname
            )
            await self._rename(old_id, f"{cname}-old-{suffix}")
        except BaseException:
            await self._force_remove(new)
            raise
        try:
            await self._rename(new, cname)
            if start:
                await self.engine.call(f"containers/{new}/start", "POST", what=cname)
        except BaseException as exc:
            await self._force_remove(new)
            await self._rename(old_id, cname)
            if was_running:
                await self.engine.call(f"containers/{old_id}/start", "POST", what=cname)
            if isinstance(exc, DockerFault):
                kept = "started again" if was_running else "kept"
                raise DockerFault(
                    f"{exc.message}; the old container (old limits) was {kept}", exc.status
                ) from None
            raise
        await self._force_remove(old_id)

    async def _rename(self, container: str, to: str) -> None:
        await self.engine.call(f"containers/{container}/rename", "POST", params={"name": to})

    async def _force_remove(self, container: str) -> bool:
        """Remove the container of this id (checked ours by the caller); False if gone."""
        try:
            await self.engine.call(f"containers/{container}", "DELETE", params={"force": "1"})
        except DockerNotFound:
            return False
        return True

    async def check_image(self, image: str) -> None:
        """Raise :class:`ImageMissing` unless ``image`` is on the engine."""
        try:
            await self.engine.call(f"images/{image}/json", what=image)
        except DockerNotFound:
            raise ImageMissing(image) from None

    async def _create_container(
        self, instance: Instance, build: Build, *, as_name: str | None = None
    ) -> str:
        """Create (not start) the container; its id."""
        body = spec.container(
            instance,
            image=build["image"],
            keys=frozenset(build["keys"]),
            folder=self.folder(instance.name),
            owner=self.owner,
            bind_address=self.bind_address,
            network=self.network,
            privileged=self.privileged,
            extra_env=build.get("extra_env"),
        )
        cname = as_name or spec.container_name(instance.name)
        made = await self.engine.call(
            "containers/create", "POST", params={"name": cname}, body=body, what=cname
        )
        return str(made["Id"])

    def _write_folder(self, name: str, build: Build) -> None:
        self.write_keys(name, build["keys"])
        self.write_config(name, build["config_text"])

    def write_keys(self, name: str, keys: Mapping[Provider, SecretStr]) -> None:
        """Make the instance's key files exactly ``keys`` (0600 in a 0700 folder)."""
        keys_dir = private_dir(self.folder(name) / "keys", strict_from=self.root)
        wanted = {provider.env_var for provider in keys}
        for old in keys_dir.iterdir():
            if old.name not in wanted:
                old.unlink()
        for provider, key in keys.items():
            write_private(keys_dir / provider.env_var, key.get_secret_value())

    def write_config(self, name: str, config: str) -> None:
        """Write the ``clawdbot.json`` the container mounts (read at its next start)."""
        folder = private_dir(self.folder(name), strict_from=self.root)
        write_private(folder / CONFIG_KEY, config)

    # -- the rest of the lifecycle -----------------------------------------------------------

    async def start(self, name: str) -> None:
        """Start the container (already running: nothing to do); ours only."""
        cid = await self._id(name)
        await self.engine.call(f"containers/{cid}/start", "POST", what=spec.container_name(name))

    async def stop(self, name: str) -> None:
        """Stop the container (ours only); it and its volumes are kept."""
        cid, params = await self._id(name), {"t": STOP_TIMEOUT}
        cname = spec.container_name(name)
        await self.engine.call(f"containers/{cid}/stop", "POST", params=params, what=cname)

    async def restart(self, name: str) -> None:
        """Restart the container (ours only)."""
        cid, params = await self._id(name), {"t": STOP_TIMEOUT}
        cname = spec.container_name(name)
        await self.engine.call(f"containers/{cid}/restart", "POST", params=params, what=cname)

    async def delete(self, name: str) -> list[str]:
        """Remove the container, the four volumes and the private folder; what was removed.

        Everything is checked before anything is removed: a container or a volume of that
        name that is not ours (another database's, or one with no owner label) stops the
        delete with :class:`NotOurs`. The container is removed by the id that was checked.
        Objects that are already gone are skipped (a 404 is not counted as removed).
        """
        doc = await self.checked(name)
        vnames = []
        for _volume, _path, role in PVC_MOUNTS:
            vname = spec.volume_name(name, role)
            if await self._volume_exists(vname, name):
                vnames.append(vname)
        removed: list[str] = []
        if doc is not None and await self._force_remove(str(doc["Id"])):
            removed.append(f"container {spec.container_name(name)}")
        for vname in vnames:
            try:
                await self.engine.call(f"volumes/{vname}", "DELETE", what=vname)
            except DockerNotFound:
                continue
            removed.append(f"volume {vname}")
        folder = self.folder(name)
        if remove_private(folder):
            removed.append(f"folder {folder}")
        return removed

    async def inspect(self, name: str) -> dict[str, Any] | None:
        """``docker inspect`` of the instance's container, or None when there is none."""
        cname = spec.container_name(name)
        try:
            doc: dict[str, Any] = await self.engine.call(f"containers/{cname}/json", what=cname)
        except DockerNotFound:
            return None
        return doc

    async def list_ours(self) -> Ours:
        """Every container and volume labelled ``managed-by=claworc``, by instance: those that
        are this database's instances' (see :class:`Ours`) and the strays."""
        params = {"all": "1", "filters": filters()}
        found = await self.engine.call("containers/json", params=params)
        containers: dict[str, dict[str, Any]] = {}
        strays: list[dict[str, Any]] = []
        for c in found or []:
            labels = c.get("Labels") or {}
            app = str(labels.get("app", ""))
            names = [str(n).lstrip("/") for n in c.get("Names") or []]
            if app and spec.container_name(app) in names and self.is_ours(labels, app):
                containers[app] = c
            else:
                strays.append(c)
        vols = await self.engine.call("volumes", params={"filters": filters()})
        volumes: dict[str, list[str]] = {}
        for vol in (vols or {}).get("Volumes") or []:
            app = str((vol.get("Labels") or {}).get("app") or "")
            if app and self.is_ours(vol.get("Labels"), app):
                volumes.setdefault(app, []).append(str(vol["Name"]))
        return Ours(
            containers, {app: sorted(names) for app, names in volumes.items()}, tuple(strays)
        )
