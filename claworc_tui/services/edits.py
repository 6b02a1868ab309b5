"""Edits of an instance on Kubernetes: its config, resources, volume sizes and keys.

Each checks read-only mode, runs under the instance's lock, changes the cluster and the record,
and ends with one activity-log entry (never a key). Docker has its own
(:mod:`~claworc_tui.services.docker_service`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pydantic import SecretStr

from claworc_tui.k8s import manifests
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeError
from claworc_tui.models.activity import Outcome
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.instance import (
    Instance,
    InstanceStatus,
    Provider,
    Resources,
    Storage,
    check_api_key,
    validate_clawdbot_config,
)
from claworc_tui.models.names import object_names
from claworc_tui.services.errors import OperationFailed
from claworc_tui.services.ops import WriteGuard
from claworc_tui.services.store import Store


def checked_config(text: str | None) -> str | None:
    """``clawdbot.json`` as stored, once it is valid.

    Raises:
        ValidationFailed: Saying what is wrong with it.
    """
    try:
        return validate_clawdbot_config(text)
    except ValueError as exc:
        raise ValidationFailed("clawdbot_config", str(exc)) from None


@dataclass(eq=False)
class EditService:
    """Changes to one instance's configuration, and to the global keys it inherits."""

    store: Store
    kube: KubeClient
    guard: WriteGuard

    async def update_config(self, name: str, text: str | None, *, restart: bool) -> Instance:
        """Store a new ``clawdbot.json`` and rewrite the ConfigMap.

        The file is mounted by subPath, which a running pod never sees change: pass
        ``restart=True`` to roll the pod so it reads the new file.
        """
        self.guard.require_writable(f"edit the config of {name}")
        config = checked_config(text)
        async with self.guard.locks.hold(name, "edit config") as calls:
            instance = await self.store.instances.set_config(name, config)
            await self.kube.instances.replace_configmap(instance)
            if restart and instance.status is InstanceStatus.RUNNING:
                await self.kube.deployments.rollout_restart(name)
            await self.guard.log_activity(
                "edit config", Outcome.OK, name, "restarted" if restart else "not restarted", calls
            )
        return instance

    async def update_resources(self, name: str, resources: Resources) -> Instance:
        """Patch the Deployment's requests/limits, then store them."""
        self.guard.require_writable(f"change the resources of {name}")
        async with self.guard.locks.hold(name, "resources") as calls:
            await self.kube.deployments.patch_deployment_resources(name, resources)
            instance = await self.store.instances.set_resources(name, resources)
            await self.guard.log_activity(
                "resources",
                Outcome.OK,
                name,
                f"cpu {resources.cpu_request}/{resources.cpu_limit}, "
                f"memory {resources.memory_request}/{resources.memory_limit}",
                calls,
            )
        return instance

    async def update_storage(self, name: str, storage: Storage) -> Instance:
        """Grow PVCs; shrinking is refused before anything is sent."""
        self.guard.require_writable(f"resize the volumes of {name}")
        instance = await self.store.instances.get(name)
        old, new = instance.storage.sizes(), storage.sizes()
        for role, size in new.items():
            if size < old[role]:
                raise ValidationFailed(
                    f"storage_{role}",
                    f"storage_{role} cannot shrink from {getattr(instance.storage, role)} to "
                    f"{getattr(storage, role)} (Kubernetes volumes only grow)",
                )
        names = object_names(name)
        async with self.guard.locks.hold(name, "resize") as calls:
            for role, size in new.items():
                if size > old[role]:
                    await self.kube.instances.resize_pvc(
                        names[f"pvc_{role}"], getattr(storage, role)
                    )
            updated = await self.store.instances.set_storage(name, storage)
            await self.guard.log_activity("resize", Outcome.OK, name, None, calls)
        return updated

    async def set_override(self, name: str, provider: Provider, key: SecretStr | None) -> Instance:
        """Set or clear a per-instance key and rewrite the Secret.

        Env vars are read when the container starts: restart the pod for it to see the change.
        """
        self.guard.require_writable(f"change the keys of {name}")
        async with self.guard.locks.hold(name, "keys") as calls:
            instance = await self.store.instances.set_override(name, provider, key)
            await self.kube.instances.replace_secret(
                instance, await self.store.effective_keys(name)
            )
            await self.guard.log_activity(
                "keys",
                Outcome.OK,
                name,
                f"{provider.label} key {'set' if key else 'cleared (global)'}",
                calls,
            )
        return instance

    async def set_global_key(self, provider: Provider, key: SecretStr | None) -> list[str]:
        """Set or clear a global key; rewrite the Secret of every instance that inherits it.

        Returns:
            The names of the instances that inherit it and are not stopped (they need a restart
            to see it).
        """
        self.guard.require_writable("change a global key")
        if key is not None:
            try:
                check_api_key(provider, key)
            except ValueError as exc:
                raise ValidationFailed(provider.value, str(exc)) from None
        await self.store.settings.set_key(provider, key)
        inheriting = [i for i in await self.store.instances.list() if provider not in i.overrides]
        async with self.guard.locks.hold("(settings)", "global key") as calls:
            globals_ = await self.store.settings.keys()
            failures: list[str] = []

            async def rewrite(instance: Instance) -> None:
                overrides = await self.store.instances.overrides(instance.name)
                try:
                    await self.kube.instances.replace_secret(
                        instance, manifests.effective_keys(overrides, globals_)
                    )
                except KubeError as exc:
                    failures.append(f"{instance.name}: {exc}")

            await asyncio.gather(*(rewrite(i) for i in inheriting))
            detail = f"{provider.label} global key {'set' if key else 'cleared'}; " + (
                f"{len(inheriting)} secrets rewritten" if not failures else "; ".join(failures)
            )
            await self.guard.log_activity(
                "global key", Outcome.FAILED if failures else Outcome.OK, None, detail, calls
            )
        if failures:
            raise OperationFailed(
                "(settings)",
                "global key",
                "rewrite secrets",
                "; ".join(failures),
                "The key is saved; run repair to rewrite the remaining secrets.",
            )
        # A stopped instance reads the new key when it starts: it needs no restart (and restart
        # refuses it).
        return [i.name for i in inheriting if i.status is not InstanceStatus.STOPPED]
