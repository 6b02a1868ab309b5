"""Create and delete on one Docker engine (README, "The Docker backend").

Create inserts the record, then makes the folder, the volumes and the container, then starts
it; a failure or a cancel at any step removes what this create made and the record, so the
name and the port pair are free again. Delete removes the container, the volumes and the keys
folder, then the record; a failure keeps the record in ``error`` (to be retried).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from claworc_tui.docker.instances import DockerInstances
from claworc_tui.k8s import manifests
from claworc_tui.models.activity import Outcome
from claworc_tui.models.errors import ClaworcError, ValidationFailed
from claworc_tui.models.instance import InstanceSpec, InstanceStatus, Resources
from claworc_tui.models.quantity import parse_quantity
from claworc_tui.services.errors import (
    KEPT_IN_ERROR,
    OperationFailed,
    Remedy,
    remedy_note,
)
from claworc_tui.services.lifecycle import insert_record, new_name
from claworc_tui.services.ops import WriteGuard, owner_id
from claworc_tui.services.store import Store
from claworc_tui.services.views import Progress, StepReporter, StepState

CREATE_STEPS = ("record", "volumes and container", "start")
DELETE_STEPS = ("container, volumes and keys", "record")


async def check_cpus(ops: DockerInstances, resources: Resources) -> None:
    """Refuse a CPU limit above the engine's CPU count (the engine would answer 400
    "Range of CPUs is from 0.01 to N" only once the container is being made).

    Raises:
        ValidationFailed: The limit is more than the host has.
    """
    info = await ops.engine.call("info")
    ncpu = int((info or {}).get("NCPU") or 0)
    limit = parse_quantity(resources.cpu_limit)
    if ncpu and limit > ncpu:
        raise ValidationFailed(
            "cpu_limit",
            f"{resources.cpu_limit} is more than this Docker engine has ({ncpu} CPUs); "
            f"Docker refuses a limit above {ncpu}",
        )


@dataclass(eq=False)
class DockerLifecycle:
    """Create and delete on a Docker engine (see the module docstring)."""

    store: Store
    ops: DockerInstances
    guard: WriteGuard

    async def create(self, spec: InstanceSpec) -> AsyncIterator[Progress]:
        """Create the record, then the folder, volumes and container; all undone on failure."""
        name = await new_name(self.store, self.guard, spec.display_name)
        report = StepReporter("create", name, CREATE_STEPS)

        async with self.guard.locks.hold(name, "create") as calls:
            step, instance = "record", None
            try:
                yield report(step, StepState.RUNNING)
                settings = await self.store.settings.get()
                image = spec.image or settings.image
                await self.ops.check_image(image)  # before any row: nothing to undo
                await check_cpus(self.ops, spec.resources)
                instance = await insert_record(self.store, name, spec, settings)
                pair = instance.node_ports
                ports = f"ports {pair[0]},{pair[1]}" if pair else "private: no published ports"
                yield report(step, StepState.DONE, ports)
                step = "volumes and container"
                yield report(step, StepState.RUNNING)
                made = await self.ops.create(
                    instance,
                    image=instance.image or settings.image,
                    keys=await self.store.effective_keys(name),
                    config_text=manifests.config_text(instance),
                    start=False,
                )
                yield report(step, StepState.DONE)
                step = "start"
                yield report(step, StepState.RUNNING)
                try:
                    await self.ops.start(name)
                except BaseException:
                    await asyncio.shield(self.ops.undo(made))  # only what this create made
                    raise
                await self.store.instances.set_status(name, InstanceStatus.RUNNING)
                yield report(step, StepState.DONE, "created; the container is starting")
                await self.guard.log_activity("create", Outcome.OK, name, ports, calls)
            except BaseException as exc:
                if instance is not None:
                    await asyncio.shield(self.store.instances.delete(name))
                cleanup = "Everything created was removed and the port pair is free again."
                reason = "cancelled" if isinstance(exc, asyncio.CancelledError) else str(exc)
                if isinstance(exc, ClaworcError):
                    await self.guard.log_activity("create", Outcome.FAILED, name, reason, calls)
                    if instance is None:
                        raise
                    raise OperationFailed(name, "create", step, reason, cleanup) from None
                raise

    async def delete(self, name: str) -> AsyncIterator[Progress]:
        """Remove the container, the volumes and the keys folder, then the record."""
        self.guard.require_writable("delete an instance")
        instance = await self.store.instances.get(name)
        report = StepReporter("delete", name, DELETE_STEPS)

        async with self.guard.locks.hold(name, "delete") as calls:
            await self.store.instances.set_status(
                name, InstanceStatus.DELETING, step="objects", owner=owner_id()
            )
            try:
                removed = await self.ops.delete(name)
            except (ClaworcError, OSError) as exc:
                detail = f"delete failed: {exc}"
                await self.store.instances.set_status(
                    name, InstanceStatus.ERROR, detail=detail + remedy_note(name, Remedy.RETRY)
                )
                await self.guard.log_activity("delete", Outcome.FAILED, name, detail, calls)
                raise OperationFailed(
                    name, "delete", "objects", str(exc), KEPT_IN_ERROR, remedy=Remedy.RETRY
                ) from None
            yield report(DELETE_STEPS[0], StepState.DONE, "; ".join(removed) or "nothing was left")
            await self.store.instances.delete(name)
            pair = instance.node_ports
            ports = f"ports {pair[0]},{pair[1]} free" if pair else "no ports held (private)"
            yield report(DELETE_STEPS[1], StepState.DONE, ports)
            await self.guard.log_activity(
                "delete", Outcome.OK, name, f"removed {len(removed)}", calls
            )
