"""One instance's redeploy: record, deployment patch, rollout wait (with the pull-failure
rollback); see :mod:`.redeploy` for the steps and the bulk runner."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from claworc_tui.k8s.errors import KubeError, KubeNotFound
from claworc_tui.models.activity import ApiCall, Outcome
from claworc_tui.models.cluster import DeploymentState
from claworc_tui.models.instance import Instance, InstanceStatus
from claworc_tui.models.remedy import Advice, Remedy
from claworc_tui.services.errors import OperationFailed
from claworc_tui.services.ops import WriteGuard, owner_id, refuse_if_busy_elsewhere
from claworc_tui.services.store import Store
from claworc_tui.services.views import Progress, StepReporter, StepState

if TYPE_CHECKING:
    from claworc_tui.k8s.client import KubeClient

REDEPLOY_STEPS = ("record", "deployment", "rollout")
PULL_FAILURES = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName"})
_POLL = 0.5
#: A pull failure rolls back only once it has lasted this long (past the kubelet's first
#: 10 s image back-off, so at least one retry failed too).
PULL_GRACE = 12.0
#: How long a rollback is watched before saying "sent" rather than "rolled back".
ROLLBACK_WATCH = 60.0
#: Statuses of an instance that is meant to run: running once the new pod is ready.
_MEANT_TO_RUN = frozenset(
    {InstanceStatus.ERROR, InstanceStatus.RESTARTING, InstanceStatus.STARTING}
)


class InstanceRedeploy:
    """One instance's redeploy, reporting through ``report``."""

    def __init__(
        self,
        store: Store,
        kube: KubeClient,
        guard: WriteGuard,
        instance: Instance,
        image: str | None,
    ) -> None:
        self.store = store
        self.kube = kube
        self.guard = guard
        self.instance = instance
        self.name = instance.name
        self.image = image
        self.report = StepReporter("redeploy", self.name, REDEPLOY_STEPS)

    async def _restore(self, *, ready: bool = False, detail: str | None = None) -> None:
        """The row's status as it was before the redeploy (its step and owner too), except that
        a running instance is running again, and one that meant to run (error, restarting,
        starting) is running once the new pod was seen ready."""
        before = self.instance
        runs = before.status is InstanceStatus.RUNNING or (ready and before.status in _MEANT_TO_RUN)
        if runs:
            await self.store.instances.set_status(self.name, InstanceStatus.RUNNING, detail=detail)
            return
        await self.store.instances.set_status(
            self.name,
            before.status,
            detail=detail or before.status_detail,
            step=before.op_step,
            owner=before.op_owner,
        )

    async def steps(self, *, wait: bool, ready_within: float) -> AsyncGenerator[Progress, None]:
        name = self.name
        # Read again: another process may have started an operation since the caller's read.
        before = self.instance = await self.store.instances.get(name)
        refuse_if_busy_elsewhere(before)
        settings = await self.store.settings.get()
        old_image = before.image or settings.image
        target = self.image or old_image
        async with self.guard.locks.hold(name, "redeploy") as calls:
            yield self.report("record", StepState.RUNNING)
            if self.image is not None and self.image != before.image:
                await self.store.instances.set_image(name, self.image)
            if before.status is InstanceStatus.RUNNING:
                await self.store.instances.set_status(
                    name, InstanceStatus.RESTARTING, step="redeploy", owner=owner_id()
                )
            same = " (the same tag, pulled again)" if target == old_image else ""
            yield self.report("record", StepState.DONE, f"image {target}{same}")
            yield self.report("deployment", StepState.RUNNING)
            patch = asyncio.ensure_future(self.kube.deployments.redeploy_deployment(name, target))
            try:
                deployed = await asyncio.shield(patch)
            except (asyncio.CancelledError, GeneratorExit):
                # The patch was sent: let it land, then leave the row as the cluster is.
                await asyncio.shield(self._settle(patch))
                raise
            except (KubeError, OSError) as exc:
                await self.store.instances.set_image(name, before.image)
                await self._restore(detail=f"redeploy failed: {exc}")
                await self.guard.log_activity("redeploy", Outcome.FAILED, name, str(exc), calls)
                hint = " (run repair to re-create it)" if isinstance(exc, KubeNotFound) else ""
                raise OperationFailed(
                    name, "redeploy", "deployment", f"{exc}{hint}", "Nothing was changed."
                ).carrying(exc) from None
            # "Stopped" is what the Deployment says (0 replicas), not the row's status: a stop
            # that died half-way (stopping, error) has 0 replicas too, and must stay stopped.
            if deployed.replicas == 0:
                await self._restore()
                yield self.report("deployment", StepState.DONE, "stopped: used at the next start")
                yield self.report(
                    "rollout", StepState.DONE, "nothing to roll (stopped: 0 replicas)"
                )
                await self.guard.log_activity(
                    "redeploy", Outcome.OK, name, f"image {target}", calls
                )
                return
            yield self.report("deployment", StepState.DONE, "patched; the pod is replaced")
            if not wait:
                await self._restore()
                yield self.report("rollout", StepState.DONE, "not waited for")
                await self.guard.log_activity(
                    "redeploy", Outcome.OK, name, f"image {target}", calls
                )
                return
            try:
                yield self.report("rollout", StepState.RUNNING, "waiting for the new pod")
                verdict, reason = await self._watch(deployed.generation, ready_within)
            except BaseException:
                await asyncio.shield(self._stopped_waiting(target, calls))
                raise
            if verdict == "ready":
                await self._restore(ready=True)
                detail = "the new pod is ready"
                yield self.report("rollout", StepState.DONE, detail)
                await self.guard.log_activity(
                    "redeploy", Outcome.OK, name, f"image {target}; {detail}", calls
                )
                return
            back = False  # whether to advise redeploying the old image to go back to it
            if verdict == "pull":
                cleanup, back = await self._roll_back(deployed, target, old_image, ready_within)
            elif verdict == "gone":
                await self._restore()
                cleanup = f"The record keeps {target}: repair re-creates the Deployment."
            elif verdict == "timeout":
                await self._restore()
                reason = f"the new pod is not ready after {ready_within:g} s"
                back = target != old_image
                was = f"; the previous was {old_image}" if back else ""
                cleanup = (
                    f"The rollout goes on and the instance keeps {target} (see the list{was})."
                )
            else:  # the image runs but the bot does not start: maybe the data; not undone
                await self._restore()
                was = f" (the previous was {old_image})" if target != old_image else ""
                cleanup = f"The instance keeps the image {target}{was}; see its advice."
            await self.guard.log_activity(
                "redeploy", Outcome.FAILED, name, f"{target}: {reason}. {cleanup}", calls
            )
            failed = OperationFailed(name, "redeploy", "rollout", reason, cleanup)
            raise failed.advising(Advice(Remedy.REDEPLOY, name, old_image)) if back else failed

    async def _stopped_waiting(self, target: str, calls: list[ApiCall]) -> None:
        await self._restore()
        await self.guard.log_activity(
            "redeploy", Outcome.OK, self.name, f"image {target}; stopped waiting", calls
        )

    async def _settle(self, patch: asyncio.Future[DeploymentState]) -> None:
        """After a cancel during the patch: the row's image and status as the cluster has them."""
        try:
            await patch
        except (KubeError, OSError):
            await self.store.instances.set_image(self.name, self.instance.image)
            await self._restore()
            return
        await self._restore()

    async def _watch(self, generation: int, ready_within: float) -> tuple[str, str]:
        """Wait until the new pod is ready (``ready``), cannot pull (``pull``) or time is up.

        A pull failure counts only once it persists: the same pod still fails to pull after
        :data:`PULL_GRACE` seconds, over at least two observations. The kubelet reports any
        failed pull (a registry's transient 429 too) as ErrImagePull and then ImagePullBackOff
        until its retry 10 s later; rolling back on the first sighting undid good images.
        """
        kube = self.kube
        deadline = time.monotonic() + ready_within
        failing: dict[str, tuple[float, int]] = {}  # pod -> (first seen failing, sightings)
        while time.monotonic() < deadline:
            dep = await kube.deployments.read_deployment(self.name)
            if dep is None:
                return "gone", "the Deployment is gone"
            rolled = dep.observed_generation >= generation and dep.updated_replicas >= dep.replicas
            if rolled:
                # Recreate: once the new ReplicaSet has its pod, the live pods are the new ones.
                pods = [
                    p for p in await kube.cluster.list_pods(f"app={self.name}") if not p.terminating
                ]
                now = time.monotonic()
                for pod in pods:
                    if pod.reason in PULL_FAILURES:
                        first, seen = failing.get(pod.name, (now, 0))
                        failing[pod.name] = (first, seen + 1)
                        if seen + 1 >= 2 and now - first >= PULL_GRACE:
                            what = pod.message or "the image cannot be pulled"
                            return "pull", f"{pod.reason}: {what}"
                    else:
                        failing.pop(pod.name, None)
                    if pod.reason == "CrashLoopBackOff":
                        last = pod.last_termination_reason or "exited"
                        return "crash", f"the new pod crash-loops (last: {last})"
                if dep.ready_replicas >= dep.replicas and pods and all(p.ready for p in pods):
                    return "ready", ""
            await asyncio.sleep(_POLL)
        return "timeout", ""

    async def _roll_back(
        self, deployed: DeploymentState, target: str, old_image: str, ready_within: float
    ) -> tuple[str, bool]:
        """Put the previous image back (Deployment, then row), only where both still hold our
        target; say what was done, and "sent" unless the old image was seen running again.
        True with it when going back failed: the user can redeploy the old image."""
        await self._restore()
        if target == old_image:
            return f"The image {target} could not be pulled again; the Deployment keeps it.", False
        try:
            rolled = await self.kube.deployments.roll_back_deployment(
                self.name, ours=target, restarted_at=deployed.restarted_at, image=old_image
            )
        except (KubeError, OSError) as exc:
            await self.store.instances.set_status(
                self.name, InstanceStatus.ERROR, detail=f"redeploy rollback failed: {exc}"
            )
            return f"Going back to {old_image} failed too ({exc}): the record keeps {target}.", True
        if rolled is None:
            return (
                f"Not rolled back: the Deployment no longer holds this redeploy of {target} "
                "(someone changed it since); it and the record are left as they are."
            ), False
        # Only over our own write: another process may have stored another image meanwhile.
        row = await self.store.instances.set_image_if(
            self.name, self.instance.image, expected=self.image
        )
        record = "the record has it again" if row else "the record was changed meanwhile: kept"
        verdict, _ = await self._watch(rolled.generation, min(ready_within, ROLLBACK_WATCH))
        if verdict == "ready":
            await self._restore(ready=True)
            return f"Rolled back to {old_image}: its pod runs again; {record}.", False
        return f"Rollback to {old_image} sent (not yet seen running); {record}.", False
