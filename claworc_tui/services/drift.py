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
from typing import TYPE_CHECKING

from claworc_tui.k8s import manifests
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
from claworc_tui.services.adopt_apply import finish_adopts
from claworc_tui.services.ops import owner_alive, owner_id
from claworc_tui.services.views import DriftItem, DriftKind, DriftReport, RepairResult

if TYPE_CHECKING:
    from claworc_tui.services.instances import InstanceService

log = logging.getLogger(__name__)
#: Seconds after a repair's last write during which drift lists instead of reading the cache
#: (the watch delivers our own writes within milliseconds; this is a wide margin).
_AFTER_REPAIR = 2.0
_VERB = {
    InstanceStatus.CREATING: "create",
    InstanceStatus.DELETING: "delete",
    InstanceStatus.STARTING: "start",
    InstanceStatus.STOPPING: "stop",
    InstanceStatus.RESTARTING: "restart",
}


async def cluster_docs(svc: InstanceService) -> dict[str, dict[str, Json]]:
    """Every object of the app in the namespace, kind → name → object: the watch cache where it
    is current, one list per kind for the rest (see the module docstring)."""
    cached = svc.hub.cached_docs() or {}
    listed = await svc.kube.cluster.managed_docs([k for k in MANAGED_KINDS if k not in cached])
    return {**listed, **cached}


async def find_drift(svc: InstanceService) -> DriftReport:
    """Compare every record with the cluster."""
    records = await svc.store.instances.list()
    settings = await svc.store.settings.get()
    docs, ports = await asyncio.gather(cluster_docs(svc), svc.kube.cluster.service_node_ports())
    managed = {
        kind: [managed_object(kind, doc) for doc in by_name.values()]
        for kind, by_name in docs.items()
    }
    items: list[DriftItem] = []

    async def check(instance: Instance) -> list[DriftItem]:
        objects = instance_objects(instance.name, docs)
        keys = await svc.effective_keys(instance.name)
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
    taken = _owned_elsewhere(managed, svc.kube.owner_id)
    checked = [i for i in records if i.name not in taken]
    for found in await asyncio.gather(*(check(i) for i in checked)):
        items.extend(found)
    items.extend(_stuck(checked))
    items.extend(_orphans(records, managed, svc.kube.owner_id))
    items.extend(
        _port_conflicts(
            svc,
            records,
            ports.owners,
            settings.port_range_start,
            settings.port_range_end,
            managed.get("Service", []),
        )
    )
    return DriftReport(items=tuple(items), checked=len(checked))


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
        todo = "leave it (its database manages it)" if here else "adopt it (a), or leave it"
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


def _port_conflicts(
    svc: InstanceService,
    records: list[Instance],
    owners: Mapping[int, NodePortOwner],
    start: int,
    end: int,
    managed_services: Iterable[ManagedObject] = (),
) -> list[DriftItem]:
    ours = {f"{svc.kube.namespace}/{object_names(i.name)['service']}": i for i in records}
    # Services another database (or none: legacy) owns hold their own pairs; ours do conflict.
    mine = svc.kube.owner_id or "(no owner id)"
    labelled = {f"{svc.kube.namespace}/{o.name}" for o in managed_services if o.owner != mine}
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


async def repair(svc: InstanceService, items: Sequence[DriftItem]) -> RepairResult:
    """Re-apply the records for ``items``; delete the orphans among them; finish stuck ones.

    Orphans are deleted one object at a time, exactly the ``Kind/name`` found, and only if the
    object still carries our labels and the uid seen by the check (see
    :meth:`~claworc_tui.k8s.lifecycle.InstanceLifecycle.delete_orphan`). Objects of another
    claworc database are never deleted.
    """
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
    svc.hub.distrust_cache(_AFTER_REPAIR)
    async with svc.locks.hold("(repair)", "repair") as calls:
        skipped = await finish_adopts(svc, items)  # the rest owned elsewhere is left alone
        for name in sorted(stuck):
            await _finish(svc, name)
        for name in sorted(moves):
            settings = await svc.store.settings.get()
            held = await svc.kube.cluster.service_node_ports()
            await svc.store.instances.move_ports(
                name,
                port_range=(settings.port_range_start, settings.port_range_end),
                skip_ports=set(held.owners),
            )
        for name in sorted(instances - stuck):
            try:
                await reapply(svc, name, replace_service=name in moves)
            except (KubeError, ClaworcError) as exc:
                failures.append(f"{name}: {exc}")
                failed.add(name)
        for item in orphans:
            kind, _, obj = item.object.partition("/")
            try:
                outcome = await svc.kube.lifecycle.delete_orphan(
                    kind, obj, uid=item.uid, owner=svc.kube.owner_id
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
        svc.hub.distrust_cache(_AFTER_REPAIR)
        await svc.log_activity(
            "repair",
            Outcome.FAILED if failures else Outcome.OK,
            None,
            result.summary() + (f"; failed: {'; '.join(failures)}" if failures else ""),
            calls,
        )
    if failures:
        from claworc_tui.services.errors import OperationFailed

        raise OperationFailed(
            "(repair)",
            "repair",
            "re-apply",
            "; ".join(failures),
            f"{result.summary()}. Run it again.",
        )
    return result


async def reapply(svc: InstanceService, name: str, *, replace_service: bool = False) -> None:
    """Make the cluster match the row: create what is missing, rewrite what differs."""
    instance = await svc.store.instances.get(name)
    settings = await svc.store.settings.get()
    keys = await svc.effective_keys(name)
    replicas = manifests.desired_replicas(instance)
    await svc.kube.instances.apply_instance_objects(instance, settings, keys, replicas=replicas)
    await asyncio.gather(
        svc.kube.instances.replace_secret(instance, keys),
        svc.kube.instances.replace_configmap(instance),
        svc.kube.instances.update_deployment(instance, settings, replicas=replicas),
        svc.kube.instances.replace_service(instance),
    )
    # The PVCs' sizes: from the cache when it is current (a PVC just created is not in it yet,
    # and needs no resize), else one list.
    cached = svc.hub.cached_docs()
    if cached is None:
        cached = await svc.kube.cluster.managed_docs(["PersistentVolumeClaim"])
    objects = instance_objects(name, cached)
    for role, pvc in objects.pvcs.items():
        wanted = getattr(instance.storage, role)
        if pvc is not None and pvc.requested != wanted:
            try:
                await svc.kube.instances.resize_pvc(object_names(name)[f"pvc_{role}"], wanted)
            except ClaworcError as exc:
                log.info("cannot resize %s/%s: %s", name, role, exc)
    del replace_service


async def sweep(svc: InstanceService) -> list[str]:
    """Finish the operations a dead process left (see :func:`_finish`); return what was done."""
    done: list[str] = []
    for instance in await svc.store.instances.list():
        if instance.status in TRANSITIONAL and not owner_alive(instance.op_owner):
            done.append(await _finish(svc, instance.name))
    return done


async def _finish(svc: InstanceService, name: str) -> str:
    """Finish (or, if that fails, flag) what a dead process was doing to ``name``.

    creating → every object is applied (idempotent) and the instance runs; deleting → the delete
    completes; starting/stopping → the scale is re-issued; restarting → marked running.
    """
    instance = await svc.store.instances.get(name)
    status, step = instance.status, instance.op_step or "?"
    what = f"the app stopped during {_VERB.get(status, status.value)} at step {step}"
    await svc.store.instances.set_status(name, status, step=step, owner=owner_id())
    try:
        if status is InstanceStatus.CREATING:
            await reapply_created(svc, instance)
            outcome = "finished the create"
        elif status is InstanceStatus.DELETING:
            await svc.kube.lifecycle.delete_instance_objects(name, wait=True, wait_timeout=120.0)
            await svc.store.instances.delete(name)
            outcome = "finished the delete"
        elif status in (InstanceStatus.STARTING, InstanceStatus.STOPPING):
            replicas = 1 if status is InstanceStatus.STARTING else 0
            await svc.kube.deployments.scale(name, replicas)
            final = InstanceStatus.RUNNING if replicas else InstanceStatus.STOPPED
            await svc.store.instances.set_status(name, final)
            outcome = f"finished the {'start' if replicas else 'stop'}"
        else:
            await svc.store.instances.set_status(name, InstanceStatus.RUNNING)
            outcome = "marked running (restart requested)"
    except (KubeError, ClaworcError, OSError) as exc:
        detail = f"{what}; finishing it failed: {exc}"
        await svc.store.instances.set_status(name, InstanceStatus.ERROR, detail=detail)
        await svc.log_activity("sweep", Outcome.FAILED, name, detail)
        return f"{name}: {detail}"
    await svc.log_activity("sweep", Outcome.OK, name, f"{what}; {outcome}")
    return f"{name}: {what}; {outcome}"


async def reapply_created(svc: InstanceService, instance: Instance) -> None:
    """Apply every object of a half-created instance, then mark it running."""
    settings = await svc.store.settings.get()
    keys = await svc.effective_keys(instance.name)
    await svc.kube.instances.apply_instance_objects(instance, settings, keys, replicas=1)
    await svc.store.instances.set_status(instance.name, InstanceStatus.RUNNING)
