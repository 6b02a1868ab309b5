"""Advice from what the cluster reports, each with at most one action (seeds 002 and 003).

* OOMKilled → raise the memory limit (double it, up to :data:`MEMORY_CAP`);
* CrashLoopBackOff → show the previous container's last lines and termination message;
* a PVC Pending → no storage class or provisioner can satisfy it;
* FailedScheduling → not enough cpu/memory on any node (lower the requests);
* ImagePullBackOff → the image or pull secret is wrong.

Applying an action is recorded in the activity log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from claworc_tui.models.activity import Outcome
from claworc_tui.models.cluster import EventInfo, InstanceObjects
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.instance import Instance, Resources
from claworc_tui.models.pod import PodInfo
from claworc_tui.models.quantity import format_bytes, parse_quantity
from claworc_tui.services.ops import WriteGuard
from claworc_tui.services.status import current_pod
from claworc_tui.services.store import Store
from claworc_tui.services.views import Advice

MEMORY_CAP = Decimal(32 * 2**30)
"""The highest memory limit the OOM advice proposes (32Gi)."""


def raised_memory(limit: str) -> str | None:
    """Double ``limit`` up to the cap; None when it is at the cap already."""
    current = parse_quantity(limit)
    if current >= MEMORY_CAP:
        return None
    return format_bytes(min(current * 2, MEMORY_CAP).to_integral_value())


_CRASH_LOOP_RESET = timedelta(minutes=10)


def advise(
    instance: Instance,
    pods: Iterable[PodInfo],
    objects: InstanceObjects | None,
    events: Iterable[EventInfo],
) -> list[Advice]:
    """Every piece of advice that applies now."""
    out: list[Advice] = []
    pod = current_pod(pods)
    events = list(events)
    if pod is not None and "OOMKilled" in (pod.last_termination_reason, pod.reason):
        new = raised_memory(instance.resources.memory_limit)
        out.append(
            Advice(
                code="raise-memory",
                title="The container ran out of memory (OOMKilled)",
                detail=f"memory_limit is {instance.resources.memory_limit}"
                + (f"; raise it to {new} (the pod restarts)" if new else " (at the cap already)"),
                action=f"Raise memory limit to {new}" if new else None,
            )
        )
    # A crash-looping container spends most of its time in back-off but passes through
    # Running and Error in between; its restart history is the steady signal. Like the
    # kubelet, which forgets the back-off after 10 minutes of running, a container that failed
    # before and has run for 10 minutes since is no longer crash-looping.
    recent = pod is not None and (
        pod.started_at is None or datetime.now(UTC) - pod.started_at < _CRASH_LOOP_RESET
    )
    crashing = pod is not None and (
        pod.reason == "CrashLoopBackOff"
        or (
            pod.restart_count >= 1
            and recent
            and pod.last_termination_reason not in (None, "Completed")
        )
    )
    if pod is not None and crashing:
        exit_code = f"exit code {pod.last_exit_code}" if pod.last_exit_code is not None else ""
        # Not pod.message: the back-off text comes and goes with each restart (it is in the
        # Reason row); the advice keeps its words, and so its height, across the loop.
        message = pod.last_termination_message or ""
        out.append(
            Advice(
                code="crash-loop",
                title=f"Crash-looping: {pod.restart_count} restarts",
                detail="; ".join(x for x in (pod.last_termination_reason, exit_code, message) if x),
                action="Show the previous container's last lines",
            )
        )
    if pod is not None and pod.reason in ("ImagePullBackOff", "ErrImagePull"):
        out.append(
            Advice(
                code="image-pull",
                title="The image cannot be pulled",
                detail=(pod.message or "")
                + " — check the image and the pull secret in Settings, or redeploy with "
                "another image",
            )
        )
    if objects is not None:
        pending = [role for role, pvc in objects.pvcs.items() if pvc and pvc.phase == "Pending"]
        if pending:
            why = next(
                (e.message for e in events if e.reason in ("ProvisioningFailed", "FailedBinding")),
                "no storage class or provisioner can satisfy the claim",
            )
            out.append(
                Advice(
                    code="pvc-pending",
                    title=f"Volume(s) pending: {', '.join(pending)}",
                    detail=f"{why}. Set a default StorageClass or create matching "
                    "PersistentVolumes.",
                )
            )
    scheduling = next((e for e in events if e.reason == "FailedScheduling"), None)
    if scheduling is not None and (pod is None or pod.phase == "Pending"):
        lacking = [r for r in ("cpu", "memory") if f"Insufficient {r}" in scheduling.message]
        out.append(
            Advice(
                code="unschedulable",
                title="No node can run the pod",
                detail=(
                    f"not enough {' and '.join(lacking)} on any node; lower the requests "
                    f"(cpu {instance.resources.cpu_request}, "
                    f"memory {instance.resources.memory_request})"
                    if lacking
                    else scheduling.message
                ),
            )
        )
    return out


@dataclass(eq=False)
class AdviceService:
    """Carries out the one action an advice offers."""

    store: Store
    guard: WriteGuard
    resize: Callable[[str, Resources], Awaitable[Instance]]
    """Applies new resources to an instance (the runtime's own edit)."""
    previous_tail: Callable[[str, int], Awaitable[list[str]]]
    """The last lines of an instance's previous container."""

    async def apply(self, name: str, code: str) -> str:
        """Carry out the action of the advice ``code``; return what was done."""
        instance = await self.store.instances.get(name)
        if code == "raise-memory":
            new = raised_memory(instance.resources.memory_limit)
            if new is None:
                raise ValidationFailed("memory_limit", "the memory limit is at the cap already")
            resources = instance.resources.model_copy(update={"memory_limit": new})
            await self.resize(name, resources)
            done = f"memory_limit {instance.resources.memory_limit} → {new}"
            await self.guard.log_activity("advice applied", Outcome.OK, name, done)
            return done
        if code == "crash-loop":
            lines = await self.previous_tail(name, 50)
            return "\n".join(lines) or "(the previous container wrote nothing)"
        raise ValidationFailed("advice", f"advice {code!r} has no action")
