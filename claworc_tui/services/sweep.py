"""The start-up sweep: finish (or flag) what a process that died left mid-operation.

A row in a transitional status (creating, deleting, starting, stopping, restarting) whose
``op_owner`` no longer runs is finished the way the operation would have: every object applied,
the delete completed, the scale re-issued. If finishing fails, the row goes to ``error`` with
what happened. The drift check reports such rows as *stuck*, and its repair finishes them here.
"""

from __future__ import annotations

from dataclasses import dataclass

from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeError
from claworc_tui.models.activity import Outcome
from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.instance import TRANSITIONAL, Instance, InstanceStatus
from claworc_tui.services.ops import WriteGuard, owner_alive, owner_id
from claworc_tui.services.store import Store

_VERB = {
    InstanceStatus.CREATING: "create",
    InstanceStatus.DELETING: "delete",
    InstanceStatus.STARTING: "start",
    InstanceStatus.STOPPING: "stop",
    InstanceStatus.RESTARTING: "restart",
}


@dataclass(eq=False)
class SweepService:
    """The start-up sweep (see the module docstring)."""

    store: Store
    kube: KubeClient
    guard: WriteGuard

    async def sweep(self) -> list[str]:
        """Finish the operations a dead process left (see :meth:`finish`); return what was done
        (nothing when writes are refused)."""
        if self.guard.read_only_reason:
            return []
        done: list[str] = []
        for instance in await self.store.instances.list():
            if instance.status in TRANSITIONAL and not owner_alive(instance.op_owner):
                done.append(await self.finish(instance.name))
        return done

    async def finish(self, name: str) -> str:
        """Finish (or, if that fails, flag) what a dead process was doing to ``name``.

        creating → every object is applied (idempotent) and the instance runs; deleting → the delete
        completes; starting/stopping → the scale is re-issued; restarting → marked running.
        """
        instance = await self.store.instances.get(name)
        status, step = instance.status, instance.op_step or "?"
        what = f"the app stopped during {_VERB.get(status, status.value)} at step {step}"
        await self.store.instances.set_status(name, status, step=step, owner=owner_id())
        try:
            if status is InstanceStatus.CREATING:
                await self.reapply_created(instance)
                outcome = "finished the create"
            elif status is InstanceStatus.DELETING:
                await self.kube.lifecycle.delete_instance_objects(
                    name, wait=True, wait_timeout=120.0
                )
                await self.store.instances.delete(name)
                outcome = "finished the delete"
            elif status in (InstanceStatus.STARTING, InstanceStatus.STOPPING):
                replicas = 1 if status is InstanceStatus.STARTING else 0
                await self.kube.deployments.scale(name, replicas)
                final = InstanceStatus.RUNNING if replicas else InstanceStatus.STOPPED
                await self.store.instances.set_status(name, final)
                outcome = f"finished the {'start' if replicas else 'stop'}"
            else:
                await self.store.instances.set_status(name, InstanceStatus.RUNNING)
                outcome = "marked running (restart requested)"
        except (KubeError, ClaworcError, OSError) as exc:
            detail = f"{what}; finishing it failed: {exc}"
            await self.store.instances.set_status(name, InstanceStatus.ERROR, detail=detail)
            await self.guard.log_activity("sweep", Outcome.FAILED, name, detail)
            return f"{name}: {detail}"
        await self.guard.log_activity("sweep", Outcome.OK, name, f"{what}; {outcome}")
        return f"{name}: {what}; {outcome}"

    async def reapply_created(self, instance: Instance) -> None:
        """Apply every object of a half-created instance, then mark it running."""
        settings = await self.store.settings.get()
        keys = await self.store.effective_keys(instance.name)
        await self.kube.instances.apply_instance_objects(instance, settings, keys, replicas=1)
        await self.store.instances.set_status(instance.name, InstanceStatus.RUNNING)
