"""Creating and changing the objects of one instance.

Creation is idempotent (see :meth:`.store.ObjectStore.create`), so an interrupted create can
simply run again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from pydantic import SecretStr

from claworc_tui.k8s import manifests
from claworc_tui.k8s.errors import KubeForbidden, KubeInvalid, KubeNotExpandable
from claworc_tui.k8s.manifests import RESTARTED_AT, Manifest
from claworc_tui.k8s.objects import Json, deployment_state, pvc_state
from claworc_tui.k8s.preconditions import resource_version
from claworc_tui.k8s.store import CreateResult, Part
from claworc_tui.models.cluster import DeploymentState, PvcState
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.instance import Instance, Provider
from claworc_tui.models.names import object_names
from claworc_tui.models.quantity import parse_quantity
from claworc_tui.models.settings import GlobalSettings


class InstanceOps(Part):
    """Creating and changing the objects of one instance (``client.instances``).

    Every update is conditional (see :mod:`.preconditions`): on the resourceVersion read, and
    never onto an object another claworc database owns.
    """

    async def create_deployment(self, manifest: Manifest) -> CreateResult:
        """Create the Deployment (idempotent, see :meth:`.store.ObjectStore.create`)."""
        return await self.objects.create(manifest)

    async def create_pvc(self, manifest: Manifest) -> CreateResult:
        """Create a PVC (idempotent)."""
        return await self.objects.create(manifest)

    async def create_secret(self, manifest: Manifest) -> CreateResult:
        """Create the keys Secret (idempotent; an existing Secret keeps its keys)."""
        return await self.objects.create(manifest)

    async def create_configmap(self, manifest: Manifest) -> CreateResult:
        """Create the ConfigMap (idempotent)."""
        return await self.objects.create(manifest)

    async def create_service(self, manifest: Manifest) -> CreateResult:
        """Create the NodePort Service (idempotent; a taken port raises KubeInvalid)."""
        return await self.objects.create(manifest)

    async def apply_instance_objects(
        self,
        instance: Instance,
        settings: GlobalSettings,
        keys: Mapping[Provider, SecretStr],
        *,
        replicas: int | None = None,
    ) -> list[CreateResult]:
        """Create every object of an instance; objects that exist are left as they are.

        The PVCs, Secret, ConfigMap and Service are created concurrently, the Deployment last,
        so its pod never starts before the Secret and ConfigMap it mounts exist.

        Args:
            instance: The instance record.
            settings: Global settings (image, pull secret).
            keys: The effective keys (see :func:`~.manifests.effective_keys`).
            replicas: Override the replicas derived from the status.

        Raises:
            KubeError: The first failure (the other creates still ran to completion).
        """
        ns = self.namespace
        first = [
            *manifests.pvcs(instance, namespace=ns),
            manifests.secret(instance, keys, namespace=ns),
            manifests.configmap(instance, namespace=ns),
            manifests.service(instance, namespace=ns),
        ]
        outcomes = await asyncio.gather(
            *(self.objects.create(m) for m in first), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        results = [o for o in outcomes if isinstance(o, CreateResult)]
        dep = manifests.deployment(instance, settings, replicas=replicas, namespace=ns)
        results.append(await self.objects.create(dep))
        return results

    async def replace_secret(self, instance: Instance, keys: Mapping[Provider, SecretStr]) -> None:
        """Write the effective keys into the Secret (creating it if missing).

        The pod reads them at start; restart it (:meth:`rollout_restart`) to apply.
        """
        body = manifests.secret(instance, keys, namespace=self.namespace)
        await self.objects.replace_or_create(body)

    async def replace_configmap(self, instance: Instance) -> None:
        """Write ``clawdbot.json`` into the ConfigMap (creating it if missing)."""
        await self.objects.replace_or_create(
            manifests.configmap(instance, namespace=self.namespace)
        )

    async def replace_service(self, instance: Instance) -> None:
        """Rewrite the NodePort Service (e.g. onto the instance's ports); create it if missing.

        The live Service's cluster IP fields are carried over: they are immutable, and a PUT
        without them would ask the apiserver to change them.

        Raises:
            KubeInvalid: A port is held by another Service (``port_conflict``).
        """
        name = object_names(instance.name)["service"]
        live = await self.objects.get_or_none("Service", name)
        body = manifests.with_owner(
            manifests.service(instance, namespace=self.namespace), self.objects.owner_id
        )
        if live is None:
            await self.objects.create(body)
            return
        self.objects.check_owner("Service", live)

        async def write(live: Json) -> Json:
            spec, meta = body["spec"], body["metadata"]
            assert isinstance(spec, dict)
            assert isinstance(meta, dict)
            live_spec = live.get("spec") or {}
            for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
                if key in live_spec:
                    spec[key] = live_spec[key]
            meta["resourceVersion"] = resource_version(live)
            return await self.objects.replace("Service", name, body)

        await self.objects.conditional_write("Service", name, write, read=live)

    async def update_deployment(
        self, instance: Instance, settings: GlobalSettings, *, replicas: int | None = None
    ) -> DeploymentState:
        """Replace the Deployment's spec with the desired one (image, resources, volumes ...).

        Keeps the live replica count unless ``replicas`` is given, and keeps the template's
        restartedAt annotation, whose loss would itself roll the pod.

        Raises:
            KubeNotFound: No such Deployment.
        """
        body = manifests.with_owner(
            manifests.deployment(instance, settings, namespace=self.namespace),
            self.objects.owner_id,
        )

        async def write(live: Json) -> Json:
            spec = body["spec"]
            assert isinstance(spec, dict)
            live_spec = live.get("spec") or {}
            spec["replicas"] = replicas if replicas is not None else live_spec.get("replicas", 1)
            restarted = ((live_spec.get("template") or {}).get("metadata") or {}).get(
                "annotations", {}
            )
            if RESTARTED_AT in restarted:
                template_meta = spec["template"]
                assert isinstance(template_meta, dict)
                meta = template_meta["metadata"]
                assert isinstance(meta, dict)
                meta["annotations"] = {RESTARTED_AT: restarted[RESTARTED_AT]}
            metadata = body["metadata"]
            assert isinstance(metadata, dict)
            metadata["resourceVersion"] = resource_version(live)
            return await self.objects.replace("Deployment", instance.name, body)

        return deployment_state(
            await self.objects.conditional_write("Deployment", instance.name, write)
        )

    async def resize_pvc(self, name: str, size: str) -> PvcState:
        """Grow a PVC to ``size``. Same size is a no-op; smaller is refused before any call.

        Raises:
            ValidationFailed: ``size`` is smaller than the current request.
            KubeNotExpandable: The storage class does not allow expansion.
        """
        read = await self.objects.read_for_write("PersistentVolumeClaim", name)
        current = pvc_state(read)
        if current.requested is not None:
            if parse_quantity(size) < parse_quantity(current.requested):
                raise ValidationFailed(
                    "storage", f"{name} cannot shrink from {current.requested} to {size}"
                )
            if parse_quantity(size) == parse_quantity(current.requested):
                return current

        # On the resourceVersion read, like every update; a PVC's status moves often (bound,
        # resizing), and such a change alone is retried (see conditional_write).
        async def write(live: Json) -> Json:
            return await self.objects.patch(
                "PersistentVolumeClaim",
                name,
                {
                    "metadata": {"resourceVersion": resource_version(live)},
                    "spec": {"resources": {"requests": {"storage": size}}},
                },
            )

        try:
            doc = await self.objects.conditional_write(
                "PersistentVolumeClaim", name, write, read=read
            )
        except (KubeForbidden, KubeInvalid) as exc:
            if exc.expansion_refused:
                raise KubeNotExpandable(
                    f"cannot grow {name} to {size}: its storage class does not allow volume "
                    f"expansion ({exc.message})",
                    status=exc.status,
                    reason=exc.reason,
                    verb="patch",
                    resource="persistentvolumeclaims",
                    name=name,
                    namespace=self.namespace,
                ) from None
            raise
        return pvc_state(doc)
