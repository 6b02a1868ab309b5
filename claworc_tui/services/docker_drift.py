"""Drift, repair and the start-up sweep on the Docker backend.

The records say what should exist; the engine, what carries our label. Differences:

* a record without its container (removed by hand) → ``missing``, repaired by making the
  container again from the record (the volumes, if they survived, keep the data);
* a record without some of its volumes → ``missing`` (made again, empty);
* a record that should run whose container is stopped, or the reverse → ``differs``,
  repaired by starting (stopping) it;
* a container with our label and no record → ``orphan`` when this database made it (its owner
  label), removed by repair only if it is still the same container (its id), with those of
  its volumes that carry our owner; another database's, or one with no owner label (legacy,
  as on Kubernetes) → ``owned elsewhere``, never touched;
* a record whose container name is held by a container not ours → ``owned elsewhere``: never
  started, stopped, replaced or deleted (every change goes through one ownership check,
  :meth:`DockerInstances.checked`, and removes by the checked id).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from claworc_tui.docker import spec
from claworc_tui.docker.errors import DockerNotFound, NotOurs
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.docker.owned import is_ours, whose
from claworc_tui.k8s.manifests import OWNER_LABEL, PVC_MOUNTS
from claworc_tui.models.activity import Outcome
from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.instance import TRANSITIONAL, Instance, InstanceStatus
from claworc_tui.services.docker_details import CONTAINER, VOLUME
from claworc_tui.services.ops import WriteGuard, owner_alive
from claworc_tui.services.store import Store
from claworc_tui.services.views import (
    DriftItem,
    DriftKind,
    DriftReport,
    RepairResult,
)


@dataclass(eq=False)
class DockerDriftService:
    """The drift check, its repair and the start-up sweep on a Docker engine."""

    store: Store
    ops: DockerInstances
    guard: WriteGuard
    rebuild: Callable[[Instance], Awaitable[None]]
    """Makes an instance's container again from its record (volumes kept)."""

    async def find_drift(self) -> DriftReport:
        """Every difference between the records and what carries our label on the engine."""
        records = {i.name: i for i in await self.store.instances.list()}
        ours = await self.ops.list_ours()
        items: list[DriftItem] = []
        for name, instance in sorted(records.items()):
            if instance.status in TRANSITIONAL:
                continue
            container = ours.containers.get(name)
            cname = spec.container_name(name)
            if container is None:
                try:
                    await self.ops.checked(name)
                except NotOurs as exc:
                    items.append(
                        DriftItem(
                            kind=DriftKind.OTHER_DATABASE, instance=name,
                            object=f"{CONTAINER}/{cname}",
                            detail=f"a container not ours holds the name: {exc}",
                            repair="none (not ours)",
                        )
                    )  # fmt: skip
                    continue
                items.append(
                    DriftItem(
                        kind=DriftKind.MISSING, instance=name, object=f"{CONTAINER}/{cname}",
                        detail="the container is gone", repair="re-create",
                    )
                )  # fmt: skip
            else:
                running = container.get("State") in ("running", "restarting")
                wanted = instance.status is not InstanceStatus.STOPPED
                if running != wanted:
                    items.append(
                        DriftItem(
                            kind=DriftKind.DIFFERS, instance=name, object=f"{CONTAINER}/{cname}",
                            detail=f"{container.get('State')}, the record says {instance.status}",
                            repair="start" if wanted else "stop", uid=str(container.get("Id")),
                        )
                    )  # fmt: skip
            have = set(ours.volumes.get(name, []))
            for _volume, _path, role in PVC_MOUNTS:
                vname = spec.volume_name(name, role)
                if vname not in have:
                    items.append(
                        DriftItem(
                            kind=DriftKind.MISSING, instance=name, object=f"{VOLUME}/{vname}",
                            detail="the volume is gone", repair="re-create (empty)",
                        )
                    )  # fmt: skip
        owner = self.store.owner_id
        unrecorded = [c for app, c in ours.containers.items() if app not in records]
        for container in sorted([*unrecorded, *ours.strays], key=lambda c: str(c.get("Names"))):
            labels = container.get("Labels") or {}
            app = str(labels.get("app", ""))
            cname = str((container.get("Names") or ["/?"])[0]).lstrip("/")
            if app in records and cname == spec.container_name(app):
                continue  # reported above: a container not ours holds the record's name
            theirs = labels.get(OWNER_LABEL)
            # As on Kubernetes: no owner label = legacy = owned elsewhere (adoptable), never
            # deleted.
            mine = theirs is not None and theirs == owner
            why = "which has no record" if app not in records else "under another name"
            items.append(
                DriftItem(
                    kind=DriftKind.ORPHAN if mine else DriftKind.OTHER_DATABASE,
                    instance=None,
                    object=f"{CONTAINER}/{cname}",
                    detail=f"labelled for {app}, {why}"
                    + ("" if mine else f" (owned elsewhere: {whose(labels)})"),
                    repair="delete" if mine else "none (not ours)",
                    uid=str(container.get("Id")),
                )
            )
        return DriftReport(items=tuple(items), checked=len(records))

    async def _delete_orphan(self, item: DriftItem) -> list[str]:
        """Remove a stray container of ours (the very one checked: its id) and, when its app has
        no record, its volumes that carry our owner; what was removed.

        Raises:
            DockerNotFound: It is gone.
            NotOurs: It was replaced since the check, or is not ours.
        """
        cname = item.object.partition("/")[2]
        doc = await self.ops.engine.call(f"containers/{cname}/json", what=cname)
        labels = (doc.get("Config") or {}).get("Labels") or {}
        app = str(labels.get("app", ""))
        owner = self.store.owner_id
        if doc.get("Id") != item.uid:
            raise NotOurs(item.object, "replaced since the check")
        if owner is None or not is_ours(labels, app, owner):
            raise NotOurs(item.object, whose(labels))
        await self.ops.engine.call(f"containers/{item.uid}", "DELETE", params={"force": "1"})
        deleted = [item.object]
        if await self.store.instances.find(app) is not None:
            return deleted  # a leftover of a recreate: the instance's volumes are its data
        for _volume, _path, role in PVC_MOUNTS:
            vname = spec.volume_name(app, role)
            vol = await self.ops.volume(vname)
            if vol is None or not is_ours(vol.get("Labels"), app, owner):
                continue  # another database's (or a legacy) volume is never deleted from here
            try:
                await self.ops.engine.call(f"volumes/{vname}", "DELETE", what=vname)
            except DockerNotFound:
                continue
            deleted.append(f"{VOLUME}/{vname}")
        return deleted

    async def repair(self, items: Sequence[DriftItem]) -> RepairResult:
        """Carry out each item's repair; count only what really changed.

        Every change goes through the ownership check: a container or volume not ours is skipped
        with the reason, never started, stopped, replaced or deleted.

        Raises:
            ReadOnlyMode: Writes are refused.
        """
        self.guard.require_writable("repair drift")
        repaired = 0
        deleted: list[str] = []
        gone: list[str] = []
        skipped: list[str] = []
        rebuilt: set[str] = set()
        for item in items:
            try:
                if item.kind is DriftKind.ORPHAN and item.uid:
                    deleted.extend(await self._delete_orphan(item))
                    continue
                if item.instance is None or item.kind is DriftKind.OTHER_DATABASE:
                    continue
                instance = await self.store.instances.get(item.instance)
                if item.kind is DriftKind.MISSING and item.instance not in rebuilt:
                    for body in spec.volumes(instance, self.store.owner_id):
                        vname = str(body["Name"])
                        vol = await self.ops.volume(vname)
                        if vol is None:
                            await self.ops.engine.call(
                                "volumes/create", "POST", body=body, what=vname
                            )
                        elif not self.ops.is_ours(vol.get("Labels"), instance.name):
                            raise NotOurs(f"volume {vname}", whose(vol.get("Labels")))
                    await self.rebuild(instance)
                    rebuilt.add(item.instance)
                    repaired += 1
                elif item.kind is DriftKind.DIFFERS:
                    doc = await self.ops.checked(item.instance)  # ours, or NotOurs
                    if item.uid and (doc is None or doc.get("Id") != item.uid):
                        skipped.append(f"{item.object}: replaced since the check")
                        continue
                    if item.repair == "start":
                        await self.ops.start(item.instance)
                    else:
                        await self.ops.stop(item.instance)
                    repaired += 1
            except DockerNotFound:
                gone.append(item.object)
            except NotOurs as exc:
                skipped.append(f"{item.object}: {exc}")
        return RepairResult(
            repaired=repaired,
            deleted=tuple(deleted),
            already_gone=tuple(gone),
            skipped=tuple(skipped),
        )

    async def sweep(self) -> list[str]:
        """Finish what a dead process left mid-operation; say what was done.

        creating → rolled back (container, volumes, folder and record: nothing half-made stays);
        deleting → the delete finished; starting/stopping → re-issued; restarting → marked running.
        A failure leaves the record in ``error`` with the reason. Nothing when writes are
        refused.
        """
        if self.guard.read_only_reason:
            return []
        done: list[str] = []
        for instance in await self.store.instances.list():
            if instance.status not in TRANSITIONAL or owner_alive(instance.op_owner):
                continue
            name, status = instance.name, instance.status
            try:
                if status in (InstanceStatus.CREATING, InstanceStatus.DELETING):
                    await self.ops.delete(name)
                    await self.store.instances.delete(name)
                    outcome = "rolled back the create" if status is InstanceStatus.CREATING else ""
                    outcome = outcome or "finished the delete"
                elif status is InstanceStatus.STARTING:
                    await self.ops.start(name)
                    await self.store.instances.set_status(name, InstanceStatus.RUNNING)
                    outcome = "finished the start"
                elif status is InstanceStatus.STOPPING:
                    await self.ops.stop(name)
                    await self.store.instances.set_status(name, InstanceStatus.STOPPED)
                    outcome = "finished the stop"
                else:
                    await self.store.instances.set_status(name, InstanceStatus.RUNNING)
                    outcome = "marked running (restart requested)"
            except (ClaworcError, OSError) as exc:
                detail = f"the app stopped during {status.value}; finishing it failed: {exc}"
                await self.store.instances.set_status(name, InstanceStatus.ERROR, detail=detail)
                await self.guard.log_activity("sweep", Outcome.FAILED, name, detail)
                done.append(f"{name}: {detail}")
                continue
            await self.guard.log_activity(
                "sweep", Outcome.OK, None if "rolled" in outcome else name, outcome
            )
            done.append(f"{name}: {outcome}")
        return done
