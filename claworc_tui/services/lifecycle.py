"""Create and delete, the two operations that can leave half-made state, with their rollback.

Create runs in three round trips (issue 6 asks for at most five):

1. list the cluster's NodePorts, so the pair we take is free in the cluster too; then allocate the
   pair and insert the row (``creating``) in one SQLite transaction;
2. the four PVCs, the Secret, the ConfigMap and the Service, concurrently — they do not depend on
   each other; a 422 "provided port is already allocated" moves the row to the next free pair and
   retries the Service alone;
3. the Deployment, last, so a pod never starts without its volumes, keys and config.

Any failure, and cancellation, deletes every object of the instance (404 counts as gone) and the
row, so the name and the port pair are free again; the error says which step failed and that it
was rolled back. If the rollback itself fails, the row stays in ``error`` with what is left, and
``repair``/delete finish the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Iterable
from dataclasses import dataclass

from claworc_tui.k8s import manifests
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeError, KubeInvalid
from claworc_tui.k8s.lifecycle import KubeDeleteTimeout
from claworc_tui.models.activity import Outcome
from claworc_tui.models.errors import ClaworcError, NameTaken, ValidationFailed
from claworc_tui.models.instance import Instance, InstanceSpec, InstanceStatus
from claworc_tui.models.names import derive_name
from claworc_tui.models.remedy import Advice
from claworc_tui.models.settings import GlobalSettings
from claworc_tui.services.errors import (
    KEPT_IN_ERROR,
    OperationFailed,
    OperationInProgress,
    Remedy,
    remedy_note,
)
from claworc_tui.services.ops import WriteGuard, owner_id
from claworc_tui.services.store import Store
from claworc_tui.services.views import Progress, StepReporter, StepState

log = logging.getLogger(__name__)

CREATE_STEPS = ("record", "volumes", "secret", "config", "service", "deployment")
DELETE_STEPS = ("deployment and pod", "service, secret, config", "volumes", "record")
_PORT_RETRIES = 5


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    return str(exc) or type(exc).__name__


def _ports_note(instance: Instance) -> str:
    """``ports 30100,30101``, or that a private instance holds none."""
    pair = instance.node_ports
    return "private: no NodePorts" if pair is None else f"ports {pair[0]},{pair[1]}"


async def _settled(*aws: Awaitable[object]) -> None:
    """Await every request, then raise the first failure: none is left in flight."""
    results = await asyncio.gather(*aws, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


async def new_name(store: Store, guard: WriteGuard, display_name: str) -> str:
    """The name a create of ``display_name`` takes (either runtime), once it may.

    Raises:
        ReadOnlyMode: Writes are refused.
        ValidationFailed: The display name yields no name.
        OperationInProgress: A create of that name is running (or was left by a dead process).
        NameTaken: A record has the name.
    """
    guard.require_writable("create an instance")
    name = derive_name(display_name)
    existing = await store.instances.find(name)
    if existing is not None and existing.status is InstanceStatus.CREATING:
        raise OperationInProgress(name, "create")
    if existing is not None:
        raise NameTaken(name)
    return name


async def insert_record(
    store: Store,
    name: str,
    spec: InstanceSpec,
    settings: GlobalSettings,
    *,
    skip_ports: Iterable[int] = (),
) -> Instance:
    """Insert the record of a create (either runtime): ``creating``, owned by this process, on
    the lowest free port pair of the settings' range but ``skip_ports``, and exposed as
    ``spec`` says, else as the settings' default."""
    return await store.instances.insert(
        name,
        spec,
        port_range=(settings.port_range_start, settings.port_range_end),
        skip_ports=skip_ports,
        owner=owner_id(),
        exposure=spec.exposure or settings.default_exposure,
    )


@dataclass(eq=False)
class LifecycleService:
    """Create and delete on Kubernetes, with their rollback (see the module docstring)."""

    store: Store
    kube: KubeClient
    guard: WriteGuard

    async def create(self, spec: InstanceSpec) -> AsyncIterator[Progress]:
        """Create an instance step by step (see the module docstring)."""
        name = await new_name(self.store, self.guard, spec.display_name)
        report = StepReporter("create", name, CREATE_STEPS)
        foreign = await self.kube.adopt.foreign_owner(name)
        if foreign is not None:
            raise ValidationFailed(
                "display_name",
                f"an instance named {name} already runs in the cluster, owned by claworc database "
                f"{foreign}: choose another name, or adopt it",
            ).advising(Advice(Remedy.ADOPT, name))
        async with self.guard.locks.hold(name, "create") as calls:
            step = "record"
            instance: Instance | None = None
            try:
                yield report(step, StepState.RUNNING)
                settings = await self.store.settings.get()
                held = await self.kube.cluster.service_node_ports()
                instance = await insert_record(
                    self.store, name, spec, settings, skip_ports=held.owners
                )
                yield report(step, StepState.DONE, _ports_note(instance))
                keys = await self.store.effective_keys(name)
                await self.store.instances.set_step(name, "objects")
                ns = self.kube.namespace
                created = instance
                for key in ("volumes", "secret", "config", "service"):
                    yield report(key, StepState.RUNNING)
                # Built right before they are scheduled: no coroutine is left un-awaited if the
                # consumer goes away at a yield.
                round_two: dict[str, Awaitable[object]] = {
                    "volumes": _settled(
                        *(
                            self.kube.instances.create_pvc(m)
                            for m in manifests.pvcs(created, namespace=ns)
                        )
                    ),
                    "secret": self.kube.instances.create_secret(
                        manifests.secret(created, keys, namespace=ns)
                    ),
                    "config": self.kube.instances.create_configmap(
                        manifests.configmap(created, namespace=ns)
                    ),
                    "service": self._create_service(name),
                }
                pending = {asyncio.ensure_future(call): key for key, call in round_two.items()}
                try:
                    while pending:
                        done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                        for task in done:
                            step = pending.pop(task)
                            task.result()
                            yield report(step, StepState.DONE)
                except BaseException as failure:
                    # Let the requests already sent finish (not cancel them): a create that lands
                    # after the rollback's delete would leave an object behind.
                    results = await asyncio.shield(asyncio.gather(*pending, return_exceptions=True))
                    if isinstance(failure, Exception):  # the consumer is still listening
                        # A step still running when another failed did not fail: say how it
                        # ended (else it stays "running" and is shown failed).
                        for key, result in zip(pending.values(), results, strict=True):
                            if not isinstance(result, BaseException):
                                yield report(key, StepState.DONE)
                    raise
                current = await self.store.instances.get(name)
                step = "deployment"
                await self.store.instances.set_step(name, step)
                yield report(step, StepState.RUNNING)
                await self.kube.instances.create_deployment(
                    manifests.deployment(current, settings, replicas=1, namespace=ns)
                )
                await self.store.instances.set_status(name, InstanceStatus.RUNNING)
                yield report(step, StepState.DONE, "created; the pod is starting")
                await self.guard.log_activity(
                    "create", Outcome.OK, name, _ports_note(current), calls
                )
            except BaseException as exc:
                if instance is None:
                    if not isinstance(exc, ClaworcError | asyncio.CancelledError | GeneratorExit):
                        raise
                    if isinstance(exc, ClaworcError):
                        await self.guard.log_activity(
                            "create", Outcome.FAILED, name, str(exc), calls
                        )
                    raise
                cleanup = await asyncio.shield(self._rollback(name))
                outcome = (
                    Outcome.CANCELLED
                    if isinstance(exc, asyncio.CancelledError | GeneratorExit)
                    else Outcome.FAILED
                )
                await asyncio.shield(
                    self.guard.log_activity(
                        "create", outcome, name, f"step {step}: {_reason(exc)}. {cleanup}", calls
                    )
                )
                if isinstance(exc, asyncio.CancelledError | GeneratorExit):
                    raise
                if isinstance(exc, ClaworcError | OSError):
                    raise OperationFailed(name, "create", step, _reason(exc), cleanup) from None
                raise

    async def _create_service(self, name: str) -> None:
        """Create the Service; on a port conflict move the row to the next free pair and retry."""
        for attempt in range(_PORT_RETRIES):
            instance = await self.store.instances.get(name)
            try:
                await self.kube.instances.create_service(
                    manifests.service(instance, namespace=self.kube.namespace)
                )
                return
            except KubeInvalid as exc:
                if not exc.port_conflict or attempt == _PORT_RETRIES - 1:
                    raise
                log.info(
                    "%s: port pair %s taken in the cluster; moving on",
                    name,
                    instance.nodeport_chrome,
                )
                settings = await self.store.settings.get()
                held = await self.kube.cluster.service_node_ports()
                await self.store.instances.move_ports(
                    name,
                    port_range=(settings.port_range_start, settings.port_range_end),
                    skip_ports=set(held.owners) | set(instance.node_ports or ()),
                )

    async def _rollback(self, name: str) -> str:
        """Remove every object and the row; say what happened (for the error and the log)."""
        try:
            # Only what carries our owner id: an object of the name another database owns (what
            # made the create fail) stays, and no longer blocks the rollback.
            await self.kube.lifecycle.delete_instance_objects(
                name, wait=True, wait_timeout=60.0, propagation="Background", only_ours=True
            )
        except (KubeError, OSError) as exc:
            left = exc.remaining if isinstance(exc, KubeDeleteTimeout) else []
            detail = f"rollback incomplete ({exc}); left: {', '.join(left) or 'unknown'}"
            with contextlib.suppress(ClaworcError):
                await self.store.instances.set_status(
                    name, InstanceStatus.ERROR, detail=detail + "; delete the instance to finish"
                )
            return detail + ". The row is kept in 'error': delete it or run repair to finish."
        await self.store.instances.delete(name)
        return "Everything created was removed and the port pair is free again."

    async def _delete_remedy(self, name: str) -> Remedy:
        """What to do after a failed delete: retry it, or, when another claworc database owns the
        objects now (it adopted them), drop this stale record with ``forget``."""
        try:
            found = await self.kube.adopt.read_found(name)
        except (KubeError, OSError):
            return Remedy.RETRY
        if any(o is not None and o != self.kube.owner_id for o in found.owners):
            return Remedy.FORGET
        return Remedy.RETRY

    async def delete(self, name: str) -> AsyncIterator[Progress]:
        """Delete every object of the instance, wait until they are gone, then the row."""
        self.guard.require_writable("delete an instance")
        instance = await self.store.instances.get(name)
        report = StepReporter("delete", name, DELETE_STEPS)

        async with self.guard.locks.hold(name, "delete") as calls:
            await self.store.instances.set_status(
                name, InstanceStatus.DELETING, step="objects", owner=owner_id()
            )
            yield report(DELETE_STEPS[0], StepState.RUNNING)
            try:
                result = await self.kube.lifecycle.delete_instance_objects(
                    name, wait=True, wait_timeout=120.0
                )
            except (KubeError, OSError) as exc:
                left = exc.remaining if isinstance(exc, KubeDeleteTimeout) else []
                detail = f"delete failed: {exc}" + (
                    f"; still there: {', '.join(left)}" if left else ""
                )
                remedy = await self._delete_remedy(name)
                hint = remedy_note(name, remedy)
                await self.store.instances.set_status(
                    name, InstanceStatus.ERROR, detail=detail + hint
                )
                await self.guard.log_activity("delete", Outcome.FAILED, name, detail, calls)
                raise OperationFailed(
                    name, "delete", "objects", str(exc), KEPT_IN_ERROR, remedy=remedy
                ) from None
            for step in DELETE_STEPS[:-1]:
                yield report(step, StepState.DONE)
            await self.store.instances.delete(name)
            freed = f"{_ports_note(instance)} free" if instance.node_ports else None
            yield report(DELETE_STEPS[-1], StepState.DONE, freed)
            await self.guard.log_activity(
                "delete", Outcome.OK, name, f"{len(result.deleted)} objects deleted", calls
            )
