"""Redeploy: a new image (or the same tag pulled again), a fresh pod, the data kept.

Steps, reported like create's:

1. ``record``: the new image is checked (nothing is sent for a bad reference: the API server
   accepts any string in a Deployment's template and only refuses the pods) and stored in the
   row, so drift and repair expect it from now on;
2. ``deployment``: one patch sets the image and the restartedAt annotation (see
   :mod:`claworc_tui.k8s.rollout`); a failure puts the row's image back: nothing changed;
3. ``rollout``: waits for the new pod to be ready. An image that cannot be pulled
   (``ErrImagePull``/``ImagePullBackOff``/``InvalidImageName``) is rolled back to the previous
   image (record and Deployment) and reported; a pod that is not ready in time is reported as
   such, not as a failure (the rollout goes on; the list shows it). Cancelling only stops the
   wait.

A stopped instance gets the image in its Deployment (replicas stay 0) and uses it at the next
start. Bulk redeploys run a few at a time, one progress row per instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from claworc_tui.k8s.errors import KubeError
from claworc_tui.k8s.objects import DeploymentState
from claworc_tui.models.activity import Outcome
from claworc_tui.models.errors import ClaworcError, ValidationFailed
from claworc_tui.models.image import image_problem
from claworc_tui.models.instance import Instance, InstanceStatus
from claworc_tui.services.errors import OperationFailed
from claworc_tui.services.ops import owner_id
from claworc_tui.services.views import Progress, StepState

if TYPE_CHECKING:
    from claworc_tui.services.instances import InstanceService

REDEPLOY_STEPS = ("record", "deployment", "rollout")
PULL_FAILURES = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName"})
#: How long the rollout step waits for the new pod to be ready by default.
ROLLOUT_TIMEOUT = 300.0
#: At most this many instances redeploy at once in a bulk redeploy.
BULK_CONCURRENCY = 4
_POLL = 0.5


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

    def __init__(self, svc: InstanceService, instance: Instance, image: str | None) -> None:
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

    async def steps(self, *, wait: bool, ready_within: float) -> AsyncGenerator[Progress, None]:
        svc, name, before = self.svc, self.name, self.instance
        settings = await svc.store.settings.get()
        old_image = before.image or settings.image
        target = self.image or old_image
        stopped = before.status is InstanceStatus.STOPPED
        async with svc.locks.hold(name, "redeploy") as calls:
            yield self.report("record", StepState.RUNNING)
            if self.image is not None and self.image != before.image:
                await svc.store.instances.set_image(name, self.image)
            if not stopped:
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
                await svc.store.instances.set_status(
                    name, before.status, detail=f"redeploy failed: {exc}"
                )
                await svc.log_activity("redeploy", Outcome.FAILED, name, str(exc), calls)
                hint = " (run repair to re-create it)" if "not found" in str(exc) else ""
                raise OperationFailed(
                    name, "redeploy", "deployment", f"{exc}{hint}", "Nothing was changed."
                ) from None
            # Patched: the instance runs the new pod (an instance in error too: replicas 1).
            final = InstanceStatus.STOPPED if stopped else InstanceStatus.RUNNING
            await svc.store.instances.set_status(name, final)
            if stopped:
                yield self.report("deployment", StepState.DONE, "stopped: used at the next start")
                yield self.report("rollout", StepState.DONE, "nothing to roll (stopped)")
                await svc.log_activity("redeploy", Outcome.OK, name, f"image {target}", calls)
                return
            yield self.report("deployment", StepState.DONE, "patched; the pod is replaced")
            if not wait:
                yield self.report("rollout", StepState.DONE, "not waited for")
                await svc.log_activity("redeploy", Outcome.OK, name, f"image {target}", calls)
                return
            try:
                yield self.report("rollout", StepState.RUNNING, "waiting for the new pod")
                verdict, reason = await self._watch(deployed.generation, ready_within)
            except BaseException:
                await asyncio.shield(
                    svc.log_activity(
                        "redeploy", Outcome.OK, name, f"image {target}; stopped waiting", calls
                    )
                )
                raise
            if verdict in ("pull", "crash", "gone"):
                if verdict == "pull":
                    cleanup = await self._roll_back(before, target, old_image)
                elif verdict == "gone":
                    cleanup = f"The record keeps {target}: repair re-creates the Deployment."
                else:  # the image runs but the bot does not start: maybe the data; not undone
                    back = f" (the previous was {old_image})" if target != old_image else ""
                    cleanup = f"The instance keeps the image {target}{back}; see its advice."
                await svc.log_activity(
                    "redeploy", Outcome.FAILED, name, f"{target}: {reason}. {cleanup}", calls
                )
                raise OperationFailed(name, "redeploy", "rollout", reason, cleanup)
            detail = (
                "the new pod is ready"
                if verdict == "ready"
                else f"not ready after {ready_within:g} s: the rollout goes on (see the list)"
            )
            yield self.report("rollout", StepState.DONE, detail)
            await svc.log_activity("redeploy", Outcome.OK, name, f"image {target}; {detail}", calls)

    async def _settle(self, patch: asyncio.Future[DeploymentState]) -> None:
        """After a cancel during the patch: the row's image and status as the cluster has them."""
        try:
            await patch
        except (KubeError, OSError):
            await self.svc.store.instances.set_image(self.name, self.instance.image)
            await self.svc.store.instances.set_status(self.name, self.instance.status)
            return
        stopped = self.instance.status is InstanceStatus.STOPPED
        final = InstanceStatus.STOPPED if stopped else InstanceStatus.RUNNING
        await self.svc.store.instances.set_status(self.name, final)

    async def _watch(self, generation: int, ready_within: float) -> tuple[str, str]:
        """Wait until the new pod is ready (``ready``), cannot pull (``pull``) or time is up."""
        kube = self.svc.kube
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            dep = await kube.read_deployment(self.name)
            if dep is None:
                return "gone", "the Deployment is gone"
            rolled = dep.observed_generation >= generation and dep.updated_replicas >= dep.replicas
            if rolled:
                # Recreate: once the new ReplicaSet has its pod, the live pods are the new ones.
                pods = [p for p in await kube.list_pods(f"app={self.name}") if not p.terminating]
                for pod in pods:
                    if pod.reason in PULL_FAILURES:
                        return (
                            "pull",
                            f"{pod.reason}: {pod.message or 'the image cannot be pulled'}",
                        )
                    if pod.reason == "CrashLoopBackOff":
                        last = pod.last_termination_reason or "exited"
                        return "crash", f"the new pod crash-loops (last: {last})"
                if dep.ready_replicas >= dep.replicas and pods and all(p.ready for p in pods):
                    return "ready", ""
            await asyncio.sleep(_POLL)
        return "timeout", ""

    async def _roll_back(self, before: Instance, target: str, old_image: str) -> str:
        """Put the previous image back (row and Deployment); say what was done."""
        if target == old_image:
            return f"The image {target} could not be pulled again; the Deployment keeps it."
        svc = self.svc
        try:
            await svc.kube.redeploy_deployment(self.name, old_image)
        except (KubeError, OSError) as exc:
            await svc.store.instances.set_status(
                self.name, InstanceStatus.ERROR, detail=f"redeploy rollback failed: {exc}"
            )
            return (
                f"Going back to {old_image} failed too ({exc}): the record keeps {target}; "
                f"redeploy with --image {old_image}."
            )
        await svc.store.instances.set_image(self.name, before.image)
        return f"Rolled back to {old_image}: the record and the Deployment have it again."


async def redeploy(
    svc: InstanceService,
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
    svc.require_writable("redeploy")
    check_image_arg(image)
    if not names:
        raise ValidationFailed("name", "redeploy needs at least one instance")
    instances = [await svc.store.instances.get(name) for name in dict.fromkeys(names)]
    if len(instances) == 1:
        # Closed here, in this task, when our consumer stops early (not later by the garbage
        # collector in another context, where the operation lock cannot be released).
        run = _Run(svc, instances[0], image).steps(wait=wait, ready_within=ready_within)
        async with contextlib.aclosing(run):
            async for progress in run:
                yield progress
        return
    bulk = _bulk(svc, instances, image, wait=wait, ready_within=ready_within)
    async with contextlib.aclosing(bulk):
        async for progress in bulk:
            yield progress


async def _bulk(
    svc: InstanceService,
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
                async for p in _Run(svc, instance, image).steps(
                    wait=wait, ready_within=ready_within
                ):
                    state = StepState.RUNNING if p.step != "rollout" else p.state
                    await queue.put(row(index, instance.name, state, f"{p.step}: {p.detail or ''}"))
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
