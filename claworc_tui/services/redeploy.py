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
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from claworc_tui.models.errors import ClaworcError, ValidationFailed
from claworc_tui.models.image import image_problem
from claworc_tui.models.instance import Instance
from claworc_tui.services.errors import OperationFailed
from claworc_tui.services.ops import WriteGuard
from claworc_tui.services.redeploy_one import InstanceRedeploy
from claworc_tui.services.store import Store
from claworc_tui.services.views import Progress, StepState

if TYPE_CHECKING:
    from claworc_tui.k8s.client import KubeClient

#: How long the rollout step waits for the new pod to be ready by default.
ROLLOUT_TIMEOUT = 300.0
#: At most this many instances redeploy at once in a bulk redeploy.
BULK_CONCURRENCY = 4


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


@dataclass(eq=False)
class RedeployService:
    """Redeploys: a new image (or the same tag pulled again) rolled out, the data kept."""

    store: Store
    kube: KubeClient
    guard: WriteGuard

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
            run = InstanceRedeploy(self.store, self.kube, self.guard, instances[0], image).steps(
                wait=wait, ready_within=ready_within
            )
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
                    async for p in InstanceRedeploy(
                        self.store, self.kube, self.guard, instance, image
                    ).steps(wait=wait, ready_within=ready_within):
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
