"""Reading and deleting the objects of one instance.

Deletion treats 404 as done and then waits until every object is really gone, because a PVC keeps
its ``kubernetes.io/pvc-protection`` finalizer until no pod uses it, and a Deployment deleted in
the foreground stays until its pods are gone; a new instance with the same name must not find them
half-deleted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from claworc_tui.k8s.errors import KubeConflict, KubeNotFound, KubeOwnedElsewhere, KubeTimeout
from claworc_tui.k8s.manifests import MANAGED_BY, MANAGER
from claworc_tui.k8s.objects import (
    Json,
    configmap_hash,
    deployment_state,
    pvc_state,
    secret_key_names,
    service_state,
)
from claworc_tui.k8s.ownership import owner_of
from claworc_tui.k8s.store import Part
from claworc_tui.models.cluster import InstanceObjects, OrphanDelete, instance_targets
from claworc_tui.models.instance import STORAGE_ROLES
from claworc_tui.models.names import object_names


class DeleteResult(BaseModel):
    """What a delete of an instance's objects did."""

    model_config = ConfigDict(frozen=True)

    deleted: tuple[str, ...]
    """``kind/name`` of objects we deleted."""
    already_gone: tuple[str, ...]
    """``kind/name`` of objects that did not exist (404)."""
    remaining: tuple[str, ...] = ()
    """``kind/name`` still present (only when not waiting)."""


class KubeDeleteTimeout(KubeTimeout):
    """Deletion did not finish in time. ``remaining`` lists what is still there."""

    def __init__(self, message: str, remaining: list[str]) -> None:
        super().__init__(message, reason="Timeout", verb="delete")
        self.remaining = remaining


def instance_objects(name: str, docs: Mapping[str, Mapping[str, Json]]) -> InstanceObjects:
    """The objects of instance ``name`` found in ``docs`` (kind → name → object); the ones
    absent are None. ``docs`` may come from GETs, from one list per kind, or from a watch cache.
    """
    names = object_names(name)

    def doc(kind: str, role: str) -> Json | None:
        return (docs.get(kind) or {}).get(names[role])

    dep, svc = doc("Deployment", "deployment"), doc("Service", "service")
    sec, cm = doc("Secret", "secret"), doc("ConfigMap", "configmap")
    return InstanceObjects(
        name=name,
        deployment=deployment_state(dep) if dep else None,
        service=service_state(svc) if svc else None,
        secret_keys=secret_key_names(sec) if sec else None,
        config_hash=configmap_hash(cm) if cm else None,
        pvcs={
            role: pvc_state(claim)
            if (claim := doc("PersistentVolumeClaim", f"pvc_{role}"))
            else None
            for role in STORAGE_ROLES
        },
    )


class InstanceLifecycle(Part):
    """Reading and deleting an instance's objects (``client.lifecycle``)."""

    async def secret_and_config(self, name: str) -> tuple[frozenset[str] | None, str | None]:
        """Key names of the instance's Secret and its ConfigMap's fingerprint (None: missing)."""
        names = object_names(name)
        sec, cm = await asyncio.gather(
            self.objects.get_or_none("Secret", names["secret"]),
            self.objects.get_or_none("ConfigMap", names["configmap"]),
        )
        return (secret_key_names(sec) if sec else None), (configmap_hash(cm) if cm else None)

    async def get_instance_objects(self, name: str) -> InstanceObjects:
        """Read every object of an instance (concurrently); missing ones are None."""
        targets = instance_targets(name)
        found = await asyncio.gather(*(self.objects.get_or_none(k, n) for k, n in targets))
        docs: dict[str, dict[str, Json]] = {}
        for (kind, obj), doc in zip(targets, found, strict=True):
            if doc is not None:
                docs.setdefault(kind, {})[obj] = doc
        return instance_objects(name, docs)

    async def delete_instance_objects(
        self,
        name: str,
        *,
        wait: bool = True,
        wait_timeout: float = 120.0,
        propagation: str = "Foreground",
        only_ours: bool = False,
    ) -> DeleteResult:
        """Delete the Deployment, Service, Secret, ConfigMap and four PVCs of an instance.

        Args:
            name: Instance name.
            wait: Return only once every object, and every pod of the instance, is gone.
            wait_timeout: Seconds to wait.
            propagation: For the Deployment: ``Foreground`` (it goes after its pods) or
                ``Background``.
            only_ours: Delete only the objects carrying this database's owner id and leave
                the rest (a failed create's rollback: what it made, not another database's
                object of the same name that made it fail).

        Returns:
            What was deleted and what was already gone (and, without ``wait``, what remains).

        Raises:
            KubeDeleteTimeout: Something was still there after ``wait_timeout`` (listed).
            KubeOwnedElsewhere: An object belongs to another claworc database (nothing was
                deleted), or changed between the check and its delete (it was not deleted; the
                message lists what was).
            KubeError: A delete failed for another reason than 404.
        """
        targets = instance_targets(name)
        # Never delete what another claworc database owns: check every object first; each
        # delete then carries the uid and resourceVersion read, so an object changed in between
        # (another database adopting it, say) is not deleted (409).
        docs = await asyncio.gather(*(self.objects.get_or_none(k, o) for k, o in targets))
        if only_ours:
            mine = [(t, d) for t, d in zip(targets, docs, strict=True) if d and self._mine(d)]
            targets, docs = [t for t, _ in mine], [d for _, d in mine]
        for (kind, _obj), doc in zip(targets, docs, strict=True):
            if doc is not None:
                self.objects.check_owner(kind, doc)
        outcomes = await asyncio.gather(
            *(
                self._delete(kind, obj, propagation, doc)
                for (kind, obj), doc in zip(targets, docs, strict=True)
            ),
            return_exceptions=True,
        )
        deleted: list[str] = []
        gone: list[str] = []
        changed: list[str] = []
        for (kind, obj), outcome in zip(targets, outcomes, strict=True):
            if isinstance(outcome, KubeConflict):
                changed.append(f"{kind}/{obj}")
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                (deleted if outcome else gone).append(f"{kind}/{obj}")
        if changed:
            raise KubeOwnedElsewhere(
                f"{', '.join(changed)} changed meanwhile (another writer, or another database "
                "adopting it) and was not deleted"
                + (f"; deleted: {', '.join(deleted)}" if deleted else "; nothing was deleted"),
                status=409,
                reason="Conflict",
                verb="delete",
                name=name,
                namespace=self.namespace,
            )
        remaining = await self._remaining(name, targets)
        if wait:
            delay, deadline = 0.05, time.monotonic() + wait_timeout
            while remaining:
                if time.monotonic() >= deadline:
                    raise KubeDeleteTimeout(
                        f"{name} is not fully deleted after {wait_timeout:g}s; still there: "
                        + ", ".join(remaining),
                        remaining,
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
                remaining = await self._remaining(name, targets)
        return DeleteResult(
            deleted=tuple(deleted), already_gone=tuple(gone), remaining=tuple(remaining)
        )

    def _mine(self, doc: Json) -> bool:
        return self.objects.owner_id is not None and owner_of(doc) == self.objects.owner_id

    async def delete_orphan(
        self, kind: str, name: str, *, uid: str | None, owner: str | None
    ) -> OrphanDelete:
        """Delete one object found as an orphan — only if it is still that object and ours.

        The object is read first: it must carry ``managed-by=claworc`` itself, have the uid the
        check saw, and have no owner id or ``owner``'s. The delete then carries the uid and the
        resourceVersion read as preconditions, so an object replaced or changed in between (say,
        adopted by another database) is never deleted (409). A 404 is reported as already gone,
        never as a deletion.
        """
        doc = await self.objects.get_or_none(kind, name)
        if doc is None:
            return OrphanDelete.GONE
        meta = doc.get("metadata") or {}
        labels = meta.get("labels") or {}
        if labels.get(MANAGED_BY) != MANAGER:
            return OrphanDelete.NOT_OURS
        if owner_of(doc) not in (None, owner):
            return OrphanDelete.OTHER_OWNER
        live_uid = meta.get("uid")
        if uid is None or live_uid != uid:
            return OrphanDelete.CHANGED
        try:
            await self.objects.delete(
                kind,
                name,
                {"uid": uid, "resourceVersion": meta.get("resourceVersion")},
                propagation_policy="Background" if kind == "Deployment" else None,
            )
        except KubeNotFound:
            return OrphanDelete.GONE
        except KubeConflict:
            return OrphanDelete.CHANGED
        return OrphanDelete.DELETED

    async def _delete(self, kind: str, name: str, propagation: str, doc: Json | None) -> bool:
        """Delete ``kind/name`` if it is still the object ``doc`` read (None: it was not there
        when read, so nothing of it is deleted).

        The delete carries the uid and resourceVersion read. Controllers change our objects on
        their own (a PVC bound: status, ``spec.volumeName`` and annotations; a Deployment
        rolled out): after a 409, the same object (uid) still with the owner read is deleted on
        its new resourceVersion; an object replaced, or whose owner changed (another database
        adopted it), is not (KubeConflict).
        """
        if doc is None:
            return False
        # Only the Deployment has dependents (ReplicaSet, pod); the rest are deleted like kubectl
        # does, without a policy, so they never wait on a foregroundDeletion finalizer.
        policy = propagation if kind == "Deployment" else None
        for attempt in range(3):
            meta = doc.get("metadata") or {}
            try:
                await self.objects.delete(
                    kind,
                    name,
                    {"uid": meta.get("uid"), "resourceVersion": meta.get("resourceVersion")},
                    propagation_policy=policy,
                )
            except KubeNotFound:
                return False
            except KubeConflict:
                fresh = await self.objects.get_or_none(kind, name)
                if fresh is None:
                    return False
                same = (fresh.get("metadata") or {}).get("uid") == meta.get("uid")
                if not same or owner_of(fresh) != owner_of(doc) or attempt == 2:
                    raise
                doc = fresh
                continue
            return True
        raise AssertionError("unreachable")  # pragma: no cover

    async def _remaining(self, name: str, targets: list[tuple[str, str]]) -> list[str]:
        docs = await asyncio.gather(*(self.objects.get_or_none(kind, obj) for kind, obj in targets))
        left = [f"{kind}/{obj}" for (kind, obj), doc in zip(targets, docs, strict=True) if doc]
        pods = await self.objects.list("Pod", label_selector=f"app={name}")
        left += [f"Pod/{p['metadata']['name']}" for p in pods.get("items") or []]
        return left
