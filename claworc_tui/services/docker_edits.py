"""Edits on one Docker engine: resources *recreate* the container with the new limits, keeping
its volumes; ``clawdbot.json`` is rewritten and, like the subPath mount on Kubernetes, seen after
a restart; keys are files in a bind-mounted folder, so a rewritten key is there at once (the app
reads it when it starts); volume sizes are recorded only (local volumes have no size).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pydantic import SecretStr

from claworc_tui.docker.instances import DockerInstances
from claworc_tui.k8s import manifests
from claworc_tui.models.activity import Outcome
from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.instance import (
    Instance,
    InstanceStatus,
    Provider,
    Resources,
    Storage,
)
from claworc_tui.models.settings import GlobalSettings
from claworc_tui.services.docker_lifecycle import check_cpus
from claworc_tui.services.edits import checked_config
from claworc_tui.services.errors import OperationFailed
from claworc_tui.services.ops import WriteGuard
from claworc_tui.services.store import Store


@dataclass(eq=False)
class DockerEdits:
    """Changes to an instance on a Docker engine (see the module docstring)."""

    store: Store
    ops: DockerInstances
    guard: WriteGuard

    async def rebuild(self, instance: Instance, settings: GlobalSettings | None = None) -> None:
        """Make the container again from the record (volumes kept); started if it should run."""
        settings = settings or await self.store.settings.get()
        await self.ops.recreate(
            instance,
            image=instance.image or settings.image,
            keys=await self.store.effective_keys(instance.name),
            config_text=manifests.config_text(instance),
            start=instance.status is not InstanceStatus.STOPPED,
        )

    async def update_resources(self, name: str, resources: Resources) -> Instance:
        """Store the new limits and recreate the container with them (the data is kept)."""
        self.guard.require_writable(f"change the resources of {name}")
        await check_cpus(self.ops, resources)
        async with self.guard.locks.hold(name, "resources") as calls:
            old = await self.store.instances.get(name)
            instance = await self.store.instances.set_resources(name, resources)
            try:
                # Shielded: a recreate cut by a cancel (the app quitting) could leave the old
                # container set aside under its temporary name.
                await asyncio.shield(self.rebuild(instance))
            except (ClaworcError, OSError) as exc:
                await self.store.instances.set_resources(name, old.resources)
                await self.guard.log_activity("resources", Outcome.FAILED, name, str(exc), calls)
                raise OperationFailed(
                    name, "resources", "recreate", str(exc), "The record keeps the old limits."
                ) from None
            detail = f"cpu {resources.cpu_limit}, memory {resources.memory_limit} (recreated)"
            await self.guard.log_activity("resources", Outcome.OK, name, detail, calls)
        return instance

    async def update_config(self, name: str, text: str | None, *, restart: bool) -> Instance:
        """Store ``clawdbot.json`` and rewrite the mounted file (seen after a restart)."""
        self.guard.require_writable(f"edit the config of {name}")
        config = checked_config(text)
        async with self.guard.locks.hold(name, "edit config") as calls:
            instance = await self.store.instances.set_config(name, config)
            self.ops.write_config(name, manifests.config_text(instance))
            # The single-file bind mount is made again at each start: a restart shows it.
            if restart and instance.status is InstanceStatus.RUNNING:
                await self.ops.restart(name)
            detail = "restarted" if restart else "stored; seen at the next restart"
            await self.guard.log_activity("edit config", Outcome.OK, name, detail, calls)
        return instance

    async def update_storage(self, name: str, storage: Storage) -> Instance:
        """Record new sizes: local Docker volumes have no size, nothing is enforced."""
        self.guard.require_writable(f"resize the volumes of {name}")
        async with self.guard.locks.hold(name, "resize") as calls:
            updated = await self.store.instances.set_storage(name, storage)
            await self.guard.log_activity(
                "resize", Outcome.OK, name, "recorded (not enforced)", calls
            )
        return updated

    async def set_override(self, name: str, provider: Provider, key: SecretStr | None) -> Instance:
        """Set or clear a per-instance key and rewrite the instance's key files."""
        self.guard.require_writable(f"change the keys of {name}")
        async with self.guard.locks.hold(name, "keys") as calls:
            instance = await self.store.instances.set_override(name, provider, key)
            self.ops.write_keys(name, await self.store.effective_keys(name))
            state = "set" if key else "cleared (global)"
            await self.guard.log_activity(
                "keys", Outcome.OK, name, f"{provider.label} key {state}", calls
            )
        return instance

    async def set_global_key(self, provider: Provider, key: SecretStr | None) -> list[str]:
        """Set or clear a global key; rewrite the key files of every instance inheriting it."""
        self.guard.require_writable("change a global key")
        await self.store.settings.set_key(provider, key)
        inheriting = [i for i in await self.store.instances.list() if provider not in i.overrides]
        for instance in inheriting:
            self.ops.write_keys(instance.name, await self.store.effective_keys(instance.name))
        detail = f"{provider.label} global key {'set' if key else 'cleared'}"
        await self.guard.log_activity("global key", Outcome.OK, None, detail)
        return [i.name for i in inheriting if i.status is not InstanceStatus.STOPPED]
