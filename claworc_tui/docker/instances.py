"""Create, start, stop, restart, recreate and delete an instance's Docker objects.

Create is all or nothing: the image is checked first (this backend never pulls), then the
private folder, the volumes and the container are made and the container started; whatever
fails on the way (a port already taken on the host, most often) removes what was made, so
nothing is left half-made. Delete removes exactly what carries our labels and names: the
container, the four volumes and the private folder (keys included).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from claworc_tui.docker import spec
from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.errors import DockerFault, DockerNotFound, ImageMissing
from claworc_tui.k8s.manifests import CONFIG_KEY, MANAGED_BY, MANAGER, PVC_MOUNTS
from claworc_tui.models.instance import Instance, Provider
from claworc_tui.paths import private_dir

STOP_TIMEOUT = 10
"""Seconds a container gets to exit on SIGTERM before SIGKILL (``docker stop -t``)."""


@dataclass(frozen=True)
class Ours:
    """The Docker objects that carry our label, by instance name."""

    containers: dict[str, dict[str, Any]]
    """Instance name → the container's summary (``GET /containers/json``)."""
    volumes: dict[str, list[str]]
    """Instance name → its volume names, sorted."""


def _filters(**labels: str) -> str:
    wanted = [f"{MANAGED_BY}={MANAGER}", *(f"{k}={v}" for k, v in labels.items())]
    return json.dumps({"label": wanted})


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

    async def create(
        self,
        instance: Instance,
        *,
        image: str,
        keys: Mapping[Provider, SecretStr],
        config_text: str,
        start: bool = True,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        """Make the folder, volumes and container of ``instance`` and start it.

        Raises:
            ImageMissing: ``image`` is not on the engine (nothing was made).
            DockerConflict: A container of that name exists (nothing was made).
            PortTaken: A VNC port is in use on the host (what was made is removed).
            DockerFault: Another refusal (what was made is removed).
        """
        await self.check_image(image)
        name = instance.name
        if await self.inspect(name) is not None:
            raise DockerFault(f"a container {spec.container_name(name)} already exists", 409)
        try:
            self._write_folder(name, keys, config_text)
            for body in spec.volumes(instance, self.owner):
                await self.engine.call("volumes/create", "POST", body=body, what=str(body["Name"]))
            await self._create_container(instance, image, frozenset(keys), extra_env)
            if start:
                await self.start(name)
        except BaseException:
            await self.delete(name)
            raise

    async def recreate(
        self,
        instance: Instance,
        *,
        image: str,
        keys: Mapping[Provider, SecretStr],
        config_text: str,
        start: bool = True,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        """Replace the container with one built from ``instance`` as it is now (new limits,
        keys, config); the volumes — the data — are kept.

        Raises:
            ImageMissing: ``image`` is not on the engine (the old container is untouched).
            DockerFault: The new container could not be made or started.
        """
        await self.check_image(image)
        self._write_folder(instance.name, keys, config_text)
        await self._remove_container(instance.name)
        await self._create_container(instance, image, frozenset(keys), extra_env)
        if start:
            await self.start(instance.name)

    async def check_image(self, image: str) -> None:
        """Raise :class:`ImageMissing` unless ``image`` is on the engine."""
        try:
            await self.engine.call(f"images/{image}/json", what=image)
        except DockerNotFound:
            raise ImageMissing(image) from None

    async def _create_container(
        self,
        instance: Instance,
        image: str,
        keys: frozenset[Provider],
        extra_env: dict[str, str] | None,
    ) -> None:
        body = spec.container(
            instance,
            image=image,
            keys=keys,
            folder=self.folder(instance.name),
            owner=self.owner,
            bind_address=self.bind_address,
            network=self.network,
            privileged=self.privileged,
            extra_env=extra_env,
        )
        cname = spec.container_name(instance.name)
        await self.engine.call(
            "containers/create", "POST", params={"name": cname}, body=body, what=cname
        )

    def _write_folder(self, name: str, keys: Mapping[Provider, SecretStr], config: str) -> None:
        self.write_keys(name, keys)
        self.write_config(name, config)

    def write_keys(self, name: str, keys: Mapping[Provider, SecretStr]) -> None:
        """Make the instance's key files exactly ``keys`` (0600 in a 0700 folder)."""
        keys_dir = private_dir(self.folder(name) / "keys")
        wanted = {provider.env_var for provider in keys}
        for old in keys_dir.iterdir():
            if old.name not in wanted:
                old.unlink()
        for provider, key in keys.items():
            _write_private(keys_dir / provider.env_var, key.get_secret_value())

    def write_config(self, name: str, config: str) -> None:
        """Write the ``clawdbot.json`` the container mounts (read at its next start)."""
        _write_private(private_dir(self.folder(name)) / CONFIG_KEY, config)

    # -- the rest of the lifecycle -----------------------------------------------------------

    async def start(self, name: str) -> None:
        """Start the container (already running: nothing to do)."""
        cname = spec.container_name(name)
        await self.engine.call(f"containers/{cname}/start", "POST", what=cname)

    async def stop(self, name: str) -> None:
        """Stop the container; it and its volumes are kept."""
        cname = spec.container_name(name)
        params = {"t": STOP_TIMEOUT}
        await self.engine.call(f"containers/{cname}/stop", "POST", params=params, what=cname)

    async def restart(self, name: str) -> None:
        """Restart the container."""
        cname = spec.container_name(name)
        params = {"t": STOP_TIMEOUT}
        await self.engine.call(f"containers/{cname}/restart", "POST", params=params, what=cname)

    async def delete(self, name: str) -> list[str]:
        """Remove the container, the four volumes and the private folder; what was removed.

        Objects that are already gone are skipped (a 404 is not counted as removed).
        """
        removed: list[str] = []
        if await self._remove_container(name):
            removed.append(f"container {spec.container_name(name)}")
        for _volume, _path, role in PVC_MOUNTS:
            vname = spec.volume_name(name, role)
            try:
                await self.engine.call(f"volumes/{vname}", "DELETE", what=vname)
            except DockerNotFound:
                continue
            removed.append(f"volume {vname}")
        folder = self.folder(name)
        if folder.exists():
            shutil.rmtree(folder)
            removed.append(f"folder {folder}")
        return removed

    async def _remove_container(self, name: str) -> bool:
        cname = spec.container_name(name)
        try:
            await self.engine.call(
                f"containers/{cname}", "DELETE", params={"force": "1"}, what=cname
            )
        except DockerNotFound:
            return False
        return True

    async def inspect(self, name: str) -> dict[str, Any] | None:
        """``docker inspect`` of the instance's container, or None when there is none."""
        cname = spec.container_name(name)
        try:
            doc: dict[str, Any] = await self.engine.call(f"containers/{cname}/json", what=cname)
        except DockerNotFound:
            return None
        return doc

    async def list_ours(self) -> Ours:
        """Every container and volume labelled ``managed-by=claworc``, by instance."""
        params = {"all": "1", "filters": _filters()}
        found = await self.engine.call("containers/json", params=params)
        containers = {
            str((c.get("Labels") or {}).get("app", "")): c
            for c in found or []
            if (c.get("Labels") or {}).get("app")
        }
        vols = await self.engine.call("volumes", params={"filters": _filters()})
        volumes: dict[str, list[str]] = {}
        for vol in (vols or {}).get("Volumes") or []:
            app = (vol.get("Labels") or {}).get("app")
            if app:
                volumes.setdefault(str(app), []).append(str(vol["Name"]))
        return Ours(containers, {app: sorted(names) for app, names in volumes.items()})


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner may read (0600 from the first byte)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
