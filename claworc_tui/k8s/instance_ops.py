"""Creating and changing the objects of one instance.

Creation is idempotent so an interrupted create can simply run again: 409 AlreadyExists means the
object is there, and we read it back instead of failing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, SecretStr

from claworc_tui.k8s import manifests
from claworc_tui.k8s.errors import (
    KubeAlreadyExists,
    KubeForbidden,
    KubeInvalid,
    KubeNotExpandable,
    KubeNotFound,
)
from claworc_tui.k8s.manifests import RESTARTED_AT, Manifest
from claworc_tui.k8s.objects import (
    DeploymentState,
    Json,
    PvcState,
    deployment_state,
    pvc_state,
    service_state,
)
from claworc_tui.k8s.preconditions import Preconditions, resource_version
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.instance import Instance, Provider
from claworc_tui.models.names import object_names
from claworc_tui.models.quantity import parse_quantity
from claworc_tui.models.settings import GlobalSettings

#: kind -> (api, method suffix, resource plural)
KINDS: dict[str, tuple[str, str, str]] = {
    "Deployment": ("apps", "deployment", "deployments"),
    "PersistentVolumeClaim": ("core", "persistent_volume_claim", "persistentvolumeclaims"),
    "Secret": ("core", "secret", "secrets"),
    "ConfigMap": ("core", "config_map", "configmaps"),
    "Service": ("core", "service", "services"),
    "Pod": ("core", "pod", "pods"),
}


class CreateResult(BaseModel):
    """What a create did."""

    model_config = ConfigDict(frozen=True)

    kind: str
    name: str
    created: bool
    """False when the object existed already (and was read back instead)."""
    uid: str | None = None


class InstanceOps(Preconditions):
    """Operations on the objects of one instance (mixed into :class:`~.client.KubeClient`).

    Every update is conditional (see :mod:`.preconditions`): on the resourceVersion read, and
    never onto an object another claworc database owns.
    """

    async def _get(self, kind: str, name: str) -> Json:
        api, suffix, plural = KINDS[kind]
        return await self._call(
            "get", plural, f"read_namespaced_{suffix}", api=api, name=name, namespace=self.namespace
        )

    async def _get_or_none(self, kind: str, name: str) -> Json | None:
        try:
            return await self._get(kind, name)
        except KubeNotFound:
            return None

    async def create_object(self, manifest: Manifest) -> CreateResult:
        """Create one object; if it exists already, read it back instead (idempotent).

        Args:
            manifest: A manifest from :mod:`claworc_tui.k8s.manifests`.

        Raises:
            KubeError: Any failure but AlreadyExists (e.g. KubeInvalid for a taken NodePort).
        """
        manifest = manifests.with_owner(manifest, self.owner_id)
        kind = str(manifest["kind"])
        meta = manifest["metadata"]
        assert isinstance(meta, dict)
        name = str(meta["name"])
        api, suffix, plural = KINDS[kind]
        try:
            doc = await self._call(
                "create",
                plural,
                f"create_namespaced_{suffix}",
                api=api,
                namespace=self.namespace,
                body=manifest,
            )
            created = True
        except KubeAlreadyExists:
            doc = await self._get(kind, name)
            # Someone else's instance of the same name: never take it for ours.
            self.check_owner(kind, doc)
            created = False
        except KubeInvalid as exc:
            # The apiserver allocates a Service's fixed nodePorts before it checks the name, so
            # creating our own Service again says "port already allocated" (422), never 409.
            existing = await self._own_service(kind, name, exc)
            if existing is None:
                raise
            doc, created = existing, False
        uid = (doc.get("metadata") or {}).get("uid")
        return CreateResult(kind=kind, name=name, created=created, uid=uid)

    async def _own_service(self, kind: str, name: str, exc: KubeInvalid) -> Json | None:
        """The existing Service ``name`` if it is what holds the ports ``exc`` names as taken."""
        if kind != "Service" or not exc.port_conflict:
            return None
        doc = await self._get_or_none(kind, name)
        if doc is None:
            return None
        held = {p.node_port for p in service_state(doc).ports}
        return doc if set(exc.taken_ports) <= held else None

    async def create_deployment(self, manifest: Manifest) -> CreateResult:
        """Create the Deployment (idempotent, see :meth:`create_object`)."""
        return await self.create_object(manifest)

    async def create_pvc(self, manifest: Manifest) -> CreateResult:
        """Create a PVC (idempotent)."""
        return await self.create_object(manifest)

    async def create_secret(self, manifest: Manifest) -> CreateResult:
        """Create the keys Secret (idempotent; an existing Secret keeps its keys)."""
        return await self.create_object(manifest)

    async def create_configmap(self, manifest: Manifest) -> CreateResult:
        """Create the ConfigMap (idempotent)."""
        return await self.create_object(manifest)

    async def create_service(self, manifest: Manifest) -> CreateResult:
        """Create the NodePort Service (idempotent; a taken port raises KubeInvalid)."""
        return await self.create_object(manifest)

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
            *(self.create_object(m) for m in first), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        results = [o for o in outcomes if isinstance(o, CreateResult)]
        dep = manifests.deployment(instance, settings, replicas=replicas, namespace=ns)
        results.append(await self.create_object(dep))
        return results

    async def replace_secret(self, instance: Instance, keys: Mapping[Provider, SecretStr]) -> None:
        """Write the effective keys into the Secret (creating it if missing).

        The pod reads them at start; restart it (:meth:`rollout_restart`) to apply.
        """
        body = manifests.secret(instance, keys, namespace=self.namespace)
        await self._replace_or_create(body)

    async def replace_configmap(self, instance: Instance) -> None:
        """Write ``clawdbot.json`` into the ConfigMap (creating it if missing)."""
        await self._replace_or_create(manifests.configmap(instance, namespace=self.namespace))

    async def replace_service(self, instance: Instance) -> None:
        """Rewrite the NodePort Service (e.g. onto the instance's ports); create it if missing.

        The live Service's cluster IP fields are carried over: they are immutable, and a PUT
        without them would ask the apiserver to change them.

        Raises:
            KubeInvalid: A port is held by another Service (``port_conflict``).
        """
        name = object_names(instance.name)["service"]
        live = await self._get_or_none("Service", name)
        body = manifests.with_owner(
            manifests.service(instance, namespace=self.namespace), self.owner_id
        )
        if live is None:
            await self.create_object(body)
            return
        self.check_owner("Service", live)

        async def write(live: Json) -> Json:
            spec, meta = body["spec"], body["metadata"]
            assert isinstance(spec, dict)
            assert isinstance(meta, dict)
            live_spec = live.get("spec") or {}
            for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
                if key in live_spec:
                    spec[key] = live_spec[key]
            meta["resourceVersion"] = resource_version(live)
            return await self._call(
                "update",
                "services",
                "replace_namespaced_service",
                name=name,
                namespace=self.namespace,
                body=body,
            )

        await self.conditional_write("Service", name, write, read=live)

    async def _replace_or_create(self, body: Manifest) -> None:
        body = manifests.with_owner(body, self.owner_id)
        kind = str(body["kind"])
        meta = body["metadata"]
        assert isinstance(meta, dict)
        api, suffix, plural = KINDS[kind]
        name = str(meta["name"])
        live = await self._get_or_none(kind, name)
        if live is None:
            await self.create_object(body)
            return
        self.check_owner(kind, live)

        async def write(live: Json) -> Json:
            meta["resourceVersion"] = resource_version(live)
            return await self._call(
                "update",
                plural,
                f"replace_namespaced_{suffix}",
                api=api,
                name=name,
                namespace=self.namespace,
                body=body,
            )

        await self.conditional_write(kind, name, write, read=live)

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
            manifests.deployment(instance, settings, namespace=self.namespace), self.owner_id
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
            return await self._call(
                "update",
                "deployments",
                "replace_namespaced_deployment",
                api="apps",
                name=instance.name,
                namespace=self.namespace,
                body=body,
            )

        return deployment_state(await self.conditional_write("Deployment", instance.name, write))

    async def resize_pvc(self, name: str, size: str) -> PvcState:
        """Grow a PVC to ``size``. Same size is a no-op; smaller is refused before any call.

        Raises:
            ValidationFailed: ``size`` is smaller than the current request.
            KubeNotExpandable: The storage class does not allow expansion.
        """
        read = await self.read_for_write("PersistentVolumeClaim", name)
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
            return await self._call(
                "patch",
                "persistentvolumeclaims",
                "patch_namespaced_persistent_volume_claim",
                name=name,
                namespace=self.namespace,
                body={
                    "metadata": {"resourceVersion": resource_version(live)},
                    "spec": {"resources": {"requests": {"storage": size}}},
                },
            )

        try:
            doc = await self.conditional_write("PersistentVolumeClaim", name, write, read=read)
        except (KubeForbidden, KubeInvalid) as exc:
            if "resize" in exc.message or "expan" in exc.message:
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
