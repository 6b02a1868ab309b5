"""Start, stop and restart: the three operations every runtime does the same way.

The row goes to the transitional status under the instance's lock, the runtime is asked, and the
row goes to the final status; if the runtime refuses, nothing changed, and the row goes back.
"""

from __future__ import annotations

from dataclasses import dataclass

from claworc_tui.k8s.errors import KubeError
from claworc_tui.models.activity import Outcome
from claworc_tui.models.errors import ClaworcError, ValidationFailed
from claworc_tui.models.instance import InstanceStatus
from claworc_tui.services.errors import OperationFailed
from claworc_tui.services.ops import WriteGuard, owner_id
from claworc_tui.services.runtime import Runtime
from claworc_tui.services.store import Store


@dataclass(eq=False)
class PowerService:
    """Start, stop and restart an instance on whatever runs it."""

    store: Store
    runtime: Runtime
    """What runs the instances."""
    guard: WriteGuard

    async def start(self, name: str) -> None:
        """Run it (Kubernetes: scale to 1)."""
        await self._simple(name, "start", InstanceStatus.STARTING, InstanceStatus.RUNNING, 1)

    async def stop(self, name: str) -> None:
        """Stop it; its data stays (Kubernetes: scale to 0, the PVCs stay)."""
        await self._simple(name, "stop", InstanceStatus.STOPPING, InstanceStatus.STOPPED, 0)

    async def restart(self, name: str) -> None:
        """Replace its process (Kubernetes: roll the pod; Recreate: the old pod stops first)."""
        instance = await self.store.instances.get(name)
        if instance.status is InstanceStatus.STOPPED:
            raise ValidationFailed("status", f"{name} is stopped; start it instead")
        await self._simple(name, "restart", InstanceStatus.RESTARTING, InstanceStatus.RUNNING, None)

    async def _simple(
        self,
        name: str,
        action: str,
        busy: InstanceStatus,
        final: InstanceStatus,
        replicas: int | None,
    ) -> None:
        self.guard.require_writable(f"{action} {name}")
        instance = await self.store.instances.get(name)
        async with self.guard.locks.hold(name, action) as calls:
            await self.store.instances.set_status(name, busy, step=action, owner=owner_id())
            try:
                if replicas is None:
                    await self.runtime.restart(name)
                elif replicas:
                    await self.runtime.start(name)
                else:
                    await self.runtime.stop(name)
            except (KubeError, ClaworcError, OSError) as exc:
                # Nothing changed in the cluster: go back to what the row said.
                await self.store.instances.set_status(
                    name, instance.status, detail=f"{action} failed: {exc}"
                )
                await self.guard.log_activity(action, Outcome.FAILED, name, str(exc), calls)
                missing = self.runtime.is_missing(exc)
                hint = " (run repair to re-create missing objects)" if missing else ""
                raise OperationFailed(
                    name, action, action, str(exc) + hint, "Nothing was changed."
                ).carrying(exc) from None
            await self.store.instances.set_status(name, final)
            await self.guard.log_activity(action, Outcome.OK, name, None, calls)
