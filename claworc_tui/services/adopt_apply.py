"""Applying an adopt plan: insert each record, then take its objects over.

A take-over that fails is given back object by object (see
:meth:`~claworc_tui.k8s.adopt.AdoptOps.take_over`). When the give-back was complete, the new
record is removed again: nothing changed. When it was not, some objects carry this database's
owner id while others still belong elsewhere; deleting the record would make those objects look
like our orphans, and ``repair --delete-orphans`` would delete them, PVC data included. So the
record is kept in ``error`` at step ``adopt``: re-running ``adopt NAME`` (or ``repair``)
finishes the take-over, and ``forget`` refuses it while any object is ours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from claworc_tui.k8s.adopt import KubeTakeOverIncomplete
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeError
from claworc_tui.k8s.ownership import instance_annotations
from claworc_tui.models.activity import ApiCall, Outcome
from claworc_tui.models.errors import ClaworcError, ValidationFailed
from claworc_tui.models.instance import InstanceStatus
from claworc_tui.models.remedy import Advice, Remedy
from claworc_tui.models.settings import GlobalSettings
from claworc_tui.services.adopt import ADOPT_STEP, AdoptPlanner, _Planned, _summary, unfinished
from claworc_tui.services.ops import WriteGuard
from claworc_tui.services.store import Store
from claworc_tui.services.views import (
    AdoptAction,
    AdoptCandidate,
    AdoptPlan,
    DriftItem,
    DriftKind,
)


def _final(item: _Planned) -> InstanceStatus:
    replicas = item.found.replicas if item.found else None
    return InstanceStatus.STOPPED if replicas == 0 else InstanceStatus.RUNNING


@dataclass(eq=False)
class AdoptService:
    """Adopts (records rebuilt from the cluster, then the objects taken over) and forgets
    (a record dropped whose objects another database adopted).
    """

    store: Store
    kube: KubeClient
    guard: WriteGuard
    planner: AdoptPlanner
    """What an adopt would do (:meth:`plan` is its answer, read only)."""

    async def plan(self, names: Sequence[str], *, everything: bool = False) -> AdoptPlan:
        """What adopting ``names`` (or every labelled instance) would do; reads only."""
        return await self.planner.plan(names, everything=everything)

    async def adopt(self, names: Sequence[str] = (), *, everything: bool = False) -> AdoptPlan:
        """Adopt what :func:`~.adopt.plan` would: insert each record, then take its objects over.

        Each instance stands alone: a conflict on one (reported in the result) does not stop the
        others. Returns the plan with each candidate's outcome.
        """
        self.guard.require_writable("adopt instances")
        owner = self.kube.owner_id
        if owner is None:
            raise ValidationFailed("owner", "this database has no owner id yet (opened read-only)")
        planned = await self.planner.planned(names, everything)
        settings = await self.store.settings.get()
        held = await self.kube.cluster.service_node_ports()
        out: list[AdoptCandidate] = []
        for item in planned:
            out.append(await self._apply(item, owner, settings, held.owners))
        return AdoptPlan(candidates=tuple(out), everything=everything, applied=True)

    async def _apply(
        self,
        item: _Planned,
        owner: str,
        settings: GlobalSettings,
        held: Iterable[int],
    ) -> AdoptCandidate:
        view = item.view
        if item.record is None or item.found is None:
            return view
        name = view.name
        async with self.guard.locks.hold(name, "adopt") as calls:
            if item.finish:
                record = item.record
            else:
                try:
                    record = await self.store.instances.insert_adopted(
                        item.record,
                        item.keys,
                        port_range=(settings.port_range_start, settings.port_range_end)
                        if item.choose_ports
                        else None,
                        skip_ports=held,
                    )
                except ClaworcError as exc:
                    return view.model_copy(
                        update={"action": AdoptAction.CONFLICT, "detail": str(exc)}
                    )
            found = item.found.model_copy(
                update={"objects": tuple(o for o in item.found.objects if o.owner != owner)}
            )
            try:
                await self.kube.adopt.take_over(found, owner, instance_annotations(record))
            except KubeTakeOverIncomplete as exc:
                detail = await self._keep_unfinished(name, str(exc), calls)
                if isinstance(exc.__cause__, asyncio.CancelledError | KeyboardInterrupt):
                    raise exc.__cause__ from None
                return view.model_copy(update={"action": AdoptAction.CONFLICT, "detail": detail})
            except KubeError as exc:
                if not item.finish:
                    await self.store.instances.delete(name)
                await self.guard.log_activity("adopt", Outcome.FAILED, name, str(exc), calls)
                return view.model_copy(update={"action": AdoptAction.CONFLICT, "detail": str(exc)})
            except BaseException:
                # Cancelled (or interrupted) with everything given back: the record goes too.
                if not item.finish:
                    await asyncio.shield(self.store.instances.delete(name))
                raise
            if item.finish:
                record = await self.store.instances.set_status(name, _final(item))
            detail = f"adopted from {view.owner}: {_summary(record, False)}"
            await self.guard.log_activity("adopt", Outcome.OK, name, detail, calls)
        return view.model_copy(
            update={
                "action": AdoptAction.ADOPTED,
                "ports": record.node_ports,
                "detail": _summary(record, False),
            }
        )

    async def _keep_unfinished(self, name: str, why: str, calls: list[ApiCall]) -> str:
        """Keep the record in ``error`` at step ``adopt`` (see the module docstring)."""
        detail = (
            # Kept in the record and the activity log, read by the TUI and the CLI alike: the
            # remedy in words both have (adopt again; repair), no command and no key.
            f"adopt not finished: {why}. Adopting it again (or a repair) finishes it; "
            "until then its objects are neither orphans nor another database's alone"
        )
        await asyncio.shield(
            self.store.instances.set_status(
                name, InstanceStatus.ERROR, detail=detail, step=ADOPT_STEP
            )
        )
        await self.guard.log_activity("adopt", Outcome.FAILED, name, detail, calls)
        return detail

    async def finish_adopts(self, items: Sequence[DriftItem]) -> list[str]:
        """For repair: finish the half-done adopts among the owned-elsewhere ``items`` (see the
        module docstring); the others are left alone. Returns one line per item."""
        out: list[str] = []
        for item in items:
            if item.kind is not DriftKind.OTHER_DATABASE or not item.instance:
                continue
            record = await self.store.instances.find(item.instance)
            if record is None or not unfinished(record):
                out.append(f"{item.instance}: left alone: owned elsewhere (adopt it instead)")
                continue
            done = (await self.adopt([item.instance])).candidates[0]
            out.append(f"{item.instance}: finishing the adopt: {done.action.value}: {done.detail}")
        return out

    async def forget(self, name: str) -> str:
        """Drop this database's stale record of ``name`` whose objects another database owns now.

        The cluster is not touched. Refused unless every object of the name that exists belongs to
        another claworc database: one object that is this database's (a half-done take-over) or
        that carries no owner (made before owner ids) would be left as an orphan, which
        ``repair --delete-orphans`` deletes. The objects are read under the instance's lock.

        Raises:
            InstanceNotFound: No record ``name``.
            ValidationFailed: Some object is not another database's (or none exists).
        """
        self.guard.require_writable("forget a record")
        ours = self.kube.owner_id
        async with self.guard.locks.hold(name, "forget") as calls:
            await self.store.instances.get(name)
            found = await self.kube.adopt.read_found(name)
            mine = [f"{o.kind}/{o.name}" for o in found.objects if o.owner in (None, ours)]
            half = bool(mine) and len(mine) < len(found.objects)  # some taken over, some not
            if not found.objects or mine:
                raise ValidationFailed(
                    "name",
                    f"{name}'s objects are not all owned by another database"
                    + (
                        f" ({', '.join(mine)} {'is' if len(mine) == 1 else 'are'} not)"
                        if mine
                        else ""
                    ),
                ).advising(
                    Advice(Remedy.DELETE, name),
                    *([Advice(Remedy.FINISH_ADOPT, name)] if half else []),
                )
            others = sorted({o.owner for o in found.objects if o.owner})
            await self.store.instances.delete(name)
            detail = f"record dropped; its objects belong to {', '.join(others)}"
            await self.guard.log_activity("forget", Outcome.OK, name, detail, calls)
        return detail
