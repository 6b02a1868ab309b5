"""Drift between the records and the cluster, its repair, and the start-up sweep.

Kinds of drift: objects missing; objects that differ from what the row says (replicas,
resources, image, ports, sizes, config, which keys); objects labelled ``managed-by=claworc``
without a row (orphans); NodePorts of our range held by Services that are not ours (port
conflicts); rows stuck in a transitional status by a process that died (stuck).

Repair re-applies what the row says — never the other way round: the database is the source of
truth for configuration. Orphans are deleted only when asked for. Another database's instances
(and whole instances made before owner ids that no record has) are "owned elsewhere": adoptable,
never deleted or repaired from here.

Where the objects come from: the app's Deployments, Services and PVCs from the hub's watch cache
when its informers are listed and live (the TUI); otherwise (the CLI, which runs no object
informers, or a watch that is reconnecting) one list per kind. Secrets and ConfigMaps are never
watched — a watch of Secrets would keep every API key of the namespace in this process's memory
for the whole session — so they are listed once per check (still one request per kind, never a
read per instance). Like the cache, the lists select ``managed-by=claworc``: an object that lost
our labels counts as missing (re-applying the record puts them back).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from claworc_tui.k8s import manifests
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.cluster_ops import MANAGED_KINDS
from claworc_tui.k8s.errors import KubeError
from claworc_tui.k8s.lifecycle import instance_objects
from claworc_tui.k8s.objects import Json, managed_object
from claworc_tui.models.activity import Outcome
from claworc_tui.models.cluster import ManagedObject, NodePortOwner, OrphanDelete
from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.instance import TRANSITIONAL, Instance, InstanceStatus
from claworc_tui.models.names import object_names
from claworc_tui.services.adopt import unfinished
from claworc_tui.services.adopt_apply import AdoptService
from claworc_tui.services.errors import OperationFailed
from claworc_tui.services.fleet import FleetHub
from claworc_tui.services.ops import WriteGuard, owner_alive
from claworc_tui.services.store import Store
from claworc_tui.services.sweep import SweepService
from claworc_tui.services.views import DriftItem, DriftKind, DriftReport, RepairResult

log = logging.getLogger(__name__)
#: Seconds after a repair's last write during which drift lists instead of reading the cache
#: (the watch delivers our own writes within milliseconds; this is a wide margin).
_AFTER_REPAIR = 2.0


def _stuck(records: list[Instance]) -> list[DriftItem]:
    return [
        DriftItem(
            kind=DriftKind.STUCK,
            instance=i.name,
            object="record",
            detail=f"left in {i.status.value} at step {i.op_step or '?'} by {i.op_owner or '?'}, "
            "which no longer runs",
            repair="finish the operation",
        )
        for i in records
        if i.status in TRANSITIONAL and not owner_alive(i.op_owner)
    ]


def _orphans(
    records: list[Instance], managed: dict[str, list[ManagedObject]], owner: str | None
) -> list[DriftItem]:
    """Labelled objects no record of ours has.

    Objects another database owns, and whole instances made before owner ids (a Deployment
    with our labels and no owner) that no record has, are *owned elsewhere*: one adoptable item
    per instance, never deleted. Other unrecorded pieces that are ours or carry no owner are
    orphans.
    """
    known = {n for i in records for n in object_names(i.name).values()}
    halves = {i.name for i in records if unfinished(i)}  # adopts that took part of the objects
    recorded = {i.name for i in records}
    legacy = {
        o.instance for o in managed.get("Deployment", []) if o.owner is None and o.instance
    } - recorded
    elsewhere: dict[str, list[ManagedObject]] = {}
    out: list[DriftItem] = []
    for kind, objects in managed.items():
        for obj in objects:
            kept = (owner,) if obj.instance in halves else (None, owner)
            if obj.name in known and obj.owner in kept:
                continue
            foreign = obj.owner is not None and obj.owner != owner
            if (foreign or obj.instance in legacy | halves) and obj.instance:
                elsewhere.setdefault(obj.instance, []).append(obj)
                continue
            out.append(
                DriftItem(
                    kind=DriftKind.ORPHAN,
                    instance=obj.instance,
                    object=f"{kind}/{obj.name}",
                    detail="labelled managed-by=claworc but no record has it"
                    + ("" if obj.owner else " (no owner label: made before owner ids)"),
                    repair="delete it",
                    uid=obj.uid,
                )
            )
    for name, objs in sorted(elsewhere.items()):
        ids = sorted({o.owner for o in objs if o.owner})
        whose = (
            f"another claworc database ({', '.join(ids)})"
            if ids
            else "no claworc database (made before owner ids)"
        )
        here = name in recorded
        todo = "leave it (its database manages it)" if here else "adopt it, or leave it"
        stale = "its record here is stale (that database adopted it)"
        stale = "an adopt here did not finish" if name in halves else stale
        new = ", not by this one (another operator, or a lost database)"
        out.append(
            DriftItem(
                kind=DriftKind.OTHER_DATABASE,
                instance=name,
                object=f"{len(objs)} objects",
                detail=f"owned by {whose}" + (f"; {stale}" if here else new),
                repair="finish the adopt here" if name in halves else todo,
            )
        )
    return out


def _owned_elsewhere(managed: dict[str, list[ManagedObject]], owner: str | None) -> set[str]:
    """Instances with an object another database owns (their records are not repaired here)."""
    return {
        o.instance
        for objects in managed.values()
        for o in objects
        if o.instance and o.owner is not None and o.owner != owner
    }


@dataclass(eq=False)
class DriftService:
    """The drift check and its repair (see the module docstring)."""

    store: Store
    kube: KubeClient
    hub: FleetHub
    guard: WriteGuard
    sweeper: SweepService
    """Finishes the stuck operations a repair is asked to finish."""
    adoption: AdoptService
    """Finishes the adopts a repair is asked to finish."""

    async def cluster_docs(self) -> dict[str, dict[str, Json]]:
        """Every object of the app in the namespace, kind → name → object: the watch cache where it
        is current, one list per kind for the rest (see the module docstring)."""
        cached = self.hub.cached_docs() or {}
        listed = await self.kube.cluster.managed_docs([k for k in MANAGED_KINDS if k not in cached])
        return {**listed, **cached}

    async def find_drift(self) -> DriftReport:
        """Compare every record with the cluster."""
        records = await self.store.instances.list()
        settings = await self.store.settings.get()
        docs, ports = await asyncio.gather(
            self.cluster_docs(), self.kube.cluster.service_node_ports()
        )
        managed = {
            kind: [managed_object(kind, doc) for doc in by_name.values()]
            for kind, by_name in docs.items()
        }
        items: list[DriftItem] = []

        async def check(instance: Instance) -> list[DriftItem]:
            objects = instance_objects(instance.name, docs)
            keys = await self.store.effective_keys(instance.name)
            found = [
                DriftItem(
                    kind=DriftKind.MISSING,
                    instance=instance.name,
                    object=kind,
                    detail="does not exist in the cluster",
                    repair="re-create it",
                )
                for kind in objects.missing
            ]
            # A PVC being deleted outside a delete (a finalizer holds it while a pod mounts it):
            # the detail pane showed it, drift did not.
            found += [
                DriftItem(
                    kind=DriftKind.DIFFERS,
                    instance=instance.name,
                    object=f"pvc/{role}",
                    detail=f"{pvc.name} is stuck Terminating (a finalizer holds it)",
                    repair="re-apply the record (re-created once it is gone)",
                )
                for role, pvc in objects.pvcs.items()
                if pvc is not None
                and pvc.terminating
                and instance.status is not InstanceStatus.DELETING
            ]
            if instance.status in TRANSITIONAL:
                return found
            expected = manifests.expected_shape(instance, settings, keys)
            found += [
                DriftItem(
                    kind=DriftKind.DIFFERS,
                    instance=instance.name,
                    object=d.field,
                    detail=f"cluster has {d.actual}, record says {d.expected}",
                    repair="re-apply the record",
                )
                for d in objects.drift(expected)
            ]
            return found

        # A record whose objects another database took over (adopted there) is not checked: its
        # "repair" would write onto that database's objects. It is reported owned elsewhere.
        taken = _owned_elsewhere(managed, self.kube.owner_id)
        checked = [i for i in records if i.name not in taken]
        for found in await asyncio.gather(*(check(i) for i in checked)):
            items.extend(found)
        items.extend(_stuck(checked))
        items.extend(_orphans(records, managed, self.kube.owner_id))
        items.extend(
            self._port_conflicts(
                records,
                ports.owners,
                settings.port_range_start,
                settings.port_range_end,
                managed.get("Service", []),
            )
        )
        return DriftReport(items=tuple(items), checked=len(checked))

    def _port_conflicts(
        self,
        records: list[Instance],
        owners: Mapping[int, NodePortOwner],
        start: int,
        end: int,
        managed_services: Iterable[ManagedObject] = (),
    ) -> list[DriftItem]:
        ours = {f"{self.kube.namespace}/{object_names(i.name)['service']}": i for i in records}
        # Services another database (or none: legacy) owns hold their own pairs; ours do conflict.
        mine = self.kube.owner_id or "(no owner id)"
        labelled = {f"{self.kube.namespace}/{o.name}" for o in managed_services if o.owner != mine}
        by_port = {p: i for i in records for p in i.node_ports or ()}
        out: list[DriftItem] = []
        for port, owner in sorted(owners.items()):
            if not start <= port <= end:
                continue
            holder = f"{owner.namespace}/{owner.service}"
            if holder in ours:
                continue
            clash = by_port.get(port)
            if clash is None and holder in labelled:
                continue
            out.append(
                DriftItem(
                    kind=DriftKind.PORT_CONFLICT,
                    instance=clash.name if clash else None,
                    object=f"nodePort {port}",
                    detail=f"held by Service {holder}"
                    + (f", but recorded for {clash.name}" if clash else " (new pairs skip it)"),
                    repair="move the instance to a free pair" if clash else "none needed",
                )
            )
        return out

    async def repair(self, items: Sequence[DriftItem]) -> RepairResult:
        """Re-apply the records for ``items``; delete the orphans among them; finish stuck ones.

        Orphans are deleted one object at a time, exactly the ``Kind/name`` found, and only if the
        object still carries our labels and the uid seen by the check (see
        :meth:`~claworc_tui.k8s.lifecycle.InstanceLifecycle.delete_orphan`). Objects of another
        claworc database are never deleted.

        Raises:
            ReadOnlyMode: Writes are refused.
        """
        self.guard.require_writable("repair drift")
        fixable = [
            i
            for i in items
            if i.instance and i.kind not in (DriftKind.ORPHAN, DriftKind.OTHER_DATABASE)
        ]
        instances = {i.instance for i in fixable if i.instance}
        orphans = [i for i in items if i.kind is DriftKind.ORPHAN]
        moves = {i.instance for i in items if i.kind is DriftKind.PORT_CONFLICT and i.instance}
        stuck = {i.instance for i in items if i.kind is DriftKind.STUCK and i.instance}
        failures: list[str] = []
        failed: set[str] = set()
        deleted: list[str] = []
        gone: list[str] = []
        # The check the UI runs right after a repair must see the repair: lists, not the cache.
        self.hub.distrust_cache(_AFTER_REPAIR)
        async with self.guard.locks.hold("(repair)", "repair") as calls:
            skipped = await self.adoption.finish_adopts(
                items
            )  # the rest owned elsewhere is left alone
            for name in sorted(stuck):
                await self.sweeper.finish(name)
            for name in sorted(moves):
                settings = await self.store.settings.get()
                held = await self.kube.cluster.service_node_ports()
                await self.store.instances.move_ports(
                    name,
                    port_range=(settings.port_range_start, settings.port_range_end),
                    skip_ports=set(held.owners),
                )
            for name in sorted(instances - stuck):
                try:
                    await self.reapply(name, replace_service=name in moves)
                except (KubeError, ClaworcError) as exc:
                    failures.append(f"{name}: {exc}")
                    failed.add(name)
            for item in orphans:
                kind, _, obj = item.object.partition("/")
                try:
                    outcome = await self.kube.lifecycle.delete_orphan(
                        kind, obj, uid=item.uid, owner=self.kube.owner_id
                    )
                except KubeError as exc:
                    failures.append(f"orphan {item.object}: {exc}")
                    continue
                if outcome is OrphanDelete.DELETED:
                    deleted.append(item.object)
                elif outcome is OrphanDelete.GONE:
                    gone.append(item.object)
                else:
                    skipped.append(f"{item.object}: {outcome.value}")
            result = RepairResult(
                repaired=sum(1 for i in fixable if i.instance not in failed),
                deleted=tuple(deleted),
                already_gone=tuple(gone),
                skipped=tuple(skipped),
            )
            self.hub.distrust_cache(_AFTER_REPAIR)
            await self.guard.log_activity(
                "repair",
                Outcome.FAILED if failures else Outcome.OK,
                None,
                result.summary() + (f"; failed: {'; '.join(failures)}" if failures else ""),
                calls,
            )
        if failures:
            raise OperationFailed(
                "(repair)",
                "repair",
                "re-apply",
                "; ".join(failures),
                f"{result.summary()}. Run it again.",
            )
        return result

    async def reapply(self, name: str, *, replace_service: bool = False) -> None:
        """Make the cluster match the row: create what is missing, rewrite what differs."""
        instance = await self.store.instances.get(name)
        settings = await self.store.settings.get()
        keys = await self.store.effective_keys(name)
        replicas = manifests.desired_replicas(instance)
        await self.kube.instances.apply_instance_objects(
            instance, settings, keys, replicas=replicas
        )
        await asyncio.gather(
            self.kube.instances.replace_secret(instance, keys),
            self.kube.instances.replace_configmap(instance),
            self.kube.instances.update_deployment(instance, settings, replicas=replicas),
            self.kube.instances.replace_service(instance),
        )
        # The PVCs' sizes: from the cache when it is current (a PVC just created is not in it yet,
        # and needs no resize), else one list.
        cached = self.hub.cached_docs()
        if cached is None:
            cached = await self.kube.cluster.managed_docs(["PersistentVolumeClaim"])
        objects = instance_objects(name, cached)
        for role, pvc in objects.pvcs.items():
            wanted = getattr(instance.storage, role)
            if pvc is not None and pvc.requested != wanted:
                try:
                    await self.kube.instances.resize_pvc(object_names(name)[f"pvc_{role}"], wanted)
                except ClaworcError as exc:
                    log.info("cannot resize %s/%s: %s", name, role, exc)
        del replace_service
