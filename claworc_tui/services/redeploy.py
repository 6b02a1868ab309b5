"""Redeploy: a new image (or the same tag pulled again), a fresh pod, the data kept.

Steps, reported like create's:

1. ``record``: the new image is checked (nothing is sent for a bad reference: the API server
   accepts any string in a Deployment's template and only refuses the pods) and stored in the
   row, so drift and repair expect it from now on. An instance another live process is working
   on (its ``op_owner``) is refused;
2. ``deployment``: one patch sets the image, ``imagePullPolicy: Always`` and the restartedAt
   annotation (see :mod:`claworc_tui.k8s.rollout`); a failure puts the row's image back;
3. ``rollout``: waits for the new pod to be ready. An image whose pull keeps failing (see
   :data:`PULL_GRACE`) is rolled back to the previous image, only where the Deployment and
   the row still hold this redeploy's target; a pod not ready in time fails the redeploy (the
   rollout goes on; the list shows it). Cancelling only stops the wait.

Whether the instance is stopped is what the Deployment says (0 replicas in the patch's
answer), not the row: it gets the image and uses it at the next start. The row's status is
otherwise kept as it was (an instance in error stays in error unless its new pod is seen
ready). Bulk redeploys run a few at a time, one progress row per instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import Any

from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeError
from claworc_tui.k8s.objects import DeploymentState
from claworc_tui.models.activity import ApiCall, Outcome
from claworc_tui.models.errors import ClaworcError, ValidationFailed
from claworc_tui.models.image import image_problem
from claworc_tui.models.instance import Instance, InstanceStatus
from claworc_tui.services.errors import OperationFailed
from claworc_tui.services.ops import WriteGuard, owner_id, refuse_if_busy_elsewhere
from claworc_tui.services.store import Store
from claworc_tui.services.views import Progress, StepState

REDEPLOY_STEPS = ("record", "deployment", "rollout")
PULL_FAILURES = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName"})
#: How long the rollout step waits for the new pod to be ready by default.
ROLLOUT_TIMEOUT = 300.0
#: At most this many instances redeploy at once in a bulk redeploy.
BULK_CONCURRENCY = 4
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


def check_image_arg(image: str | None) -> str | None:
    """``image`` if None or valid.

    Raises:
        ValidationFailed: Saying what is wrong with the reference.
    """
    if image is None:
        return None
    problem = image_problem(image)
    if problem is not None:
        raise ValidationFailed("image", f'"{image}" is not a valid image reference: {problem}')
    return image


class _Run:
    """One instance's redeploy, reporting through ``report``."""

    def __init__(self, svc: RedeployService, instance: Instance, image: str | None) -> None:
        self.svc = svc
        self.instance = instance
        self.name = instance.name
        self.image = image

    def report(self, step: str, state: StepState, detail: str | None = None) -> Progress:
        return Progress(
            operation="redeploy",
            name=self.name,
            step=step,
            index=REDEPLOY_STEPS.index(step) + 1,
            total=len(REDEPLOY_STEPS),
            state=state,
            detail=detail,
        )

    async def _restore(self, *, ready: bool = False, detail: str | None = None) -> None:
        """The row's status as it was before the redeploy (its step and owner too), except that
        a running instance is running again, and one that meant to run (error, restarting,
        starting) is running once the new pod was seen ready."""
        before = self.instance
        runs = before.status is InstanceStatus.RUNNING or (ready and before.status in _MEANT_TO_RUN)
        if runs:
            await self.svc.store.instances.set_status(
                self.name, InstanceStatus.RUNNING, detail=detail
            )
            return
        await self.svc.store.instances.set_status(
            self.name,
            before.status,
            detail=detail or before.status_detail,
            step=before.op_step,
            owner=before.op_owner,
        )

    async def steps(self, *, wait: bool, ready_within: float) -> AsyncGenerator[Progress, None]:
        svc, name = self.svc, self.name
        # Read again: another process may have started an operation since the caller's read.
        before = self.instance = await svc.store.instances.get(name)
        refuse_if_busy_elsewhere(before)
        settings = await svc.store.settings.get()
        old_image = before.image or settings.image
        target = self.image or old_image
        async with svc.guard.locks.hold(name, "redeploy") as calls:
            yield self.report("record", StepState.RUNNING)
            if self.image is not None and self.image != before.image:
                await svc.store.instances.set_image(name, self.image)
            if before.status is InstanceStatus.RUNNING:
                await svc.store.instances.set_status(
                    name, InstanceStatus.RESTARTING, step="redeploy", owner=owner_id()
                )
            same = " (the same tag, pulled again)" if target == old_image else ""
            yield self.report("record", StepState.DONE, f"image {target}{same}")
            yield self.report("deployment", StepState.RUNNING)
            patch = asyncio.ensure_future(svc.kube.redeploy_deployment(name, target))
            try:
                deployed = await asyncio.shield(patch)
            except (asyncio.CancelledError, GeneratorExit):
                # The patch was sent: let it land, then leave the row as the cluster is.
                await asyncio.shield(self._settle(patch))
                raise
            except (KubeError, OSError) as exc:
                await svc.store.instances.set_image(name, before.image)
                await self._restore(detail=f"redeploy failed: {exc}")
                await svc.guard.log_activity("redeploy", Outcome.FAILED, name, str(exc), calls)
                hint = " (run repair to re-create it)" if "not found" in str(exc) else ""
                raise OperationFailed(
                    name, "redeploy", "deployment", f"{exc}{hint}", "Nothing was changed."
                ) from None
            # "Stopped" is what the Deployment says (0 replicas), not the row's status: a stop
            # that died half-way (stopping, error) has 0 replicas too, and must stay stopped.
            if deployed.replicas == 0:
                await self._restore()
                yield self.report("deployment", StepState.DONE, "stopped: used at the next start")
                yield self.report(
                    "rollout", StepState.DONE, "nothing to roll (stopped: 0 replicas)"
                )
                await svc.guard.log_activity("redeploy", Outcome.OK, name, f"image {target}", calls)
                return
            yield self.report("deployment", StepState.DONE, "patched; the pod is replaced")
            if not wait:
                await self._restore()
                yield self.report("rollout", StepState.DONE, "not waited for")
                await svc.guard.log_activity("redeploy", Outcome.OK, name, f"image {target}", calls)
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
                await svc.guard.log_activity(
                    "redeploy", Outcome.OK, name, f"image {target}; {detail}", calls
                )
                return
            if verdict == "pull":
                cleanup = await self._roll_back(deployed, target, old_image, ready_within)
            elif verdict == "gone":
                await self._restore()
                cleanup = f"The record keeps {target}: repair re-creates the Deployment."
            elif verdict == "timeout":
                await self._restore()
                reason = f"the new pod is not ready after {ready_within:g} s"
                back = f"redeploy --image {old_image} goes back" if target != old_image else ""
                cleanup = f"The rollout goes on and the instance keeps {target} (see the list)" + (
                    f"; {back}." if back else "."
                )
            else:  # the image runs but the bot does not start: maybe the data; not undone
                await self._restore()
                back = f" (the previous was {old_image})" if target != old_image else ""
                cleanup = f"The instance keeps the image {target}{back}; see its advice."
            await svc.guard.log_activity(
                "redeploy", Outcome.FAILED, name, f"{target}: {reason}. {cleanup}", calls
            )
            raise OperationFailed(name, "redeploy", "rollout", reason, cleanup)

    async def _stopped_waiting(self, target: str, calls: list[ApiCall]) -> None:
        await self._restore()
        await self.svc.guard.log_activity(
            "redeploy", Outcome.OK, self.name, f"image {target}; stopped waiting", calls
        )

    async def _settle(self, patch: asyncio.Future[DeploymentState]) -> None:
        """After a cancel during the patch: the row's image and status as the cluster has them."""
        try:
            await patch
        except (KubeError, OSError):
            await self.svc.store.instances.set_image(self.name, self.instance.image)
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
        kube = self.svc.kube
        deadline = time.monotonic() + ready_within
        failing: dict[str, tuple[float, int]] = {}  # pod -> (first seen failing, sightings)
        while time.monotonic() < deadline:
            dep = await kube.read_deployment(self.name)
            if dep is None:
                return "gone", "the Deployment is gone"
            rolled = dep.observed_generation >= generation and dep.updated_replicas >= dep.replicas
            if rolled:
                # Recreate: once the new ReplicaSet has its pod, the live pods are the new ones.
                pods = [p for p in await kube.list_pods(f"app={self.name}") if not p.terminating]
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
    ) -> str:
        """Put the previous image back (Deployment, then row), only where both still hold our
        target; say what was done, and "sent" unless the old image was seen running again."""
        await self._restore()
        if target == old_image:
            return f"The image {target} could not be pulled again; the Deployment keeps it."
        svc = self.svc
        try:
            rolled = await svc.kube.roll_back_deployment(
                self.name, ours=target, restarted_at=deployed.restarted_at, image=old_image
            )
        except (KubeError, OSError) as exc:
            await svc.store.instances.set_status(
                self.name, InstanceStatus.ERROR, detail=f"redeploy rollback failed: {exc}"
            )
            return (
                f"Going back to {old_image} failed too ({exc}): the record keeps {target}; "
                f"redeploy with --image {old_image}."
            )
        if rolled is None:
            return (
                f"Not rolled back: the Deployment no longer holds this redeploy of {target} "
                "(someone changed it since); it and the record are left as they are."
            )
        # Only over our own write: another process may have stored another image meanwhile.
        row = await svc.store.instances.set_image_if(
            self.name, self.instance.image, expected=self.image
        )
        record = "the record has it again" if row else "the record was changed meanwhile: kept"
        verdict, _ = await self._watch(rolled.generation, min(ready_within, ROLLBACK_WATCH))
        if verdict == "ready":
            await self._restore(ready=True)
            return f"Rolled back to {old_image}: its pod runs again; {record}."
        return f"Rollback to {old_image} sent (not yet seen running); {record}."


class RedeployService:
    """Redeploys: a new image (or the same tag pulled again) rolled out, the data kept.

    Args:
        store: The open records.
        kube: A started Kubernetes client.
        guard: The read-only check, operation locks and activity log shared by every write.
    """

    def __init__(self, store: Store, kube: KubeClient, guard: WriteGuard) -> None:
        self.store = store
        self.kube = kube
        self.guard = guard

    async def redeploy(
        self,
        names: Sequence[str],
        image: str | None = None,
        *,
        wait: bool = True,
        ready_within: float = ROLLOUT_TIMEOUT,
    ) -> AsyncIterator[Progress]:
        """Redeploy each of ``names``; one instance reports its steps, several one row each.

        Everything is checked before anything changes: the image, and that every name exists.

        Raises:
            ValidationFailed: A bad image reference, or no names.
            InstanceNotFound: A name without a record.
            OperationFailed: The one instance failed (said at which step, and what was undone).
            ClaworcError: Some of several failed (each is named).
        """
        self.guard.require_writable("redeploy")
        check_image_arg(image)
        if not names:
            raise ValidationFailed("name", "redeploy needs at least one instance")
        instances = [await self.store.instances.get(name) for name in dict.fromkeys(names)]
        if len(instances) == 1:
            # Closed here, in this task, when our consumer stops early (not later by the garbage
            # collector in another context, where the operation lock cannot be released).
            run = _Run(self, instances[0], image).steps(wait=wait, ready_within=ready_within)
            async with contextlib.aclosing(run):
                async for progress in run:
                    yield progress
            return
        bulk = self._bulk(instances, image, wait=wait, ready_within=ready_within)
        async with contextlib.aclosing(bulk):
            async for progress in bulk:
                yield progress

    async def _bulk(
        self,
        instances: list[Instance],
        image: str | None,
        *,
        wait: bool,
        ready_within: float,
    ) -> AsyncGenerator[Progress, None]:
        total = len(instances)
        queue: asyncio.Queue[Progress] = asyncio.Queue()
        gate = asyncio.Semaphore(BULK_CONCURRENCY)
        failures: list[str] = []

        def row(index: int, name: str, state: StepState, detail: str | None) -> Progress:
            return Progress(
                operation="redeploy",
                name=name,
                step=name,
                index=index,
                total=total,
                state=state,
                detail=detail,
            )

        async def one(index: int, instance: Instance) -> None:
            async with gate:
                try:
                    async for p in _Run(self, instance, image).steps(
                        wait=wait, ready_within=ready_within
                    ):
                        state = StepState.RUNNING if p.step != "rollout" else p.state
                        await queue.put(
                            row(index, instance.name, state, f"{p.step}: {p.detail or ''}")
                        )
                except ClaworcError as exc:
                    reason = exc.reason if isinstance(exc, OperationFailed) else str(exc)
                    failures.append(f"{instance.name}: {exc}")
                    await queue.put(row(index, instance.name, StepState.FAILED, reason))

        for index, instance in enumerate(instances, 1):
            yield row(index, instance.name, StepState.RUNNING, "waiting")
        tasks = [asyncio.ensure_future(one(i, inst)) for i, inst in enumerate(instances, 1)]
        running: set[asyncio.Future[None]] = set(tasks)
        try:
            while running or not queue.empty():
                if not queue.empty():
                    yield queue.get_nowait()
                    continue
                getter = asyncio.ensure_future(queue.get())
                waiting: set[asyncio.Future[Any]] = {getter, *running}
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                running -= done
                if getter.done():
                    yield getter.result()
                else:
                    getter.cancel()
            for task in tasks:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if failures:
            raise ClaworcError(
                f"{len(failures)} of {total} redeploys failed:\n" + "\n".join(failures[:10])
            )
