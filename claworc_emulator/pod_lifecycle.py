"""Pod lifecycle steps run by the fake kubelet: schedule, create, run, crash, terminate (why a
pod cannot start is in :mod:`claworc_emulator.pod_start_failures`)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from claworc_emulator.errors import go_duration
from claworc_emulator.kubelet import POD, _cond, _Gone, _Terminate, set_condition
from claworc_emulator.object_store import Obj, meta, now_rfc3339
from claworc_emulator.pod_start_failures import (
    config_problem,
    not_ready_message,
    pull_failure,
    resource_problem,
    volume_problem,
)

if TYPE_CHECKING:
    from claworc_emulator.kubelet import Kubelet

_PREEMPT = "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."


async def run_pod(k: Kubelet, ns: str, name: str, uid: str) -> None:
    """Run pod ``ns/name`` (``uid``) from scheduling until it ends or is deleted."""
    pod = k._pod(ns, name, uid)
    if not (pod.get("spec") or {}).get("nodeName"):
        await _schedule(k, ns, name, uid)
    pod = k._pod(ns, name, uid)
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    if not any("running" in (cs.get("state") or {}) for cs in statuses):
        await _start(k, ns, name, uid)
    while True:
        pod = k._pod(ns, name, uid)
        mode = k.mode(pod)
        if mode in ("crash", "oom"):
            await _crash_cycle(k, ns, name, uid, mode)
        elif mode == "imagepull":
            await pull_failure(k, ns, name, uid)
            await _start(k, ns, name, uid, restarted=True)
        elif k.config.log_heartbeat:
            await _heartbeat(k, ns, name, uid, k.config.log_heartbeat)
        else:
            await k._wait(ns, name, uid, None)


async def _heartbeat(k: Kubelet, ns: str, name: str, uid: str, every: float) -> None:
    """Wait for a change to the pod, logging a heartbeat line per container every ``every``."""
    loop = asyncio.get_running_loop()
    due = k.beats.setdefault(uid, loop.time() + every)
    await k._wait(ns, name, uid, max(due - loop.time(), 0.0))
    if loop.time() < due:
        return
    k.beats[uid] = due + every
    for c in k.containers(k._pod(ns, name, uid)):
        n = k.beat_count[(uid, c["name"])] = k.beat_count.get((uid, c["name"]), 0) + 1
        stamp = datetime.now(UTC)
        when = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
        k.logs.append(
            ns,
            name,
            c["name"],
            [f"{when} INFO clawdbot heartbeat n={n} pod={ns}/{name} container={c['name']}"],
        )


async def _schedule(k: Kubelet, ns: str, name: str, uid: str) -> None:
    await k._sleep(ns, name, uid, k.step)
    while True:
        pod = k._pod(ns, name, uid)
        resources = resource_problem(k, pod)
        problem = volume_problem(k, pod)
        if problem is None and resources is None:
            break
        if resources is not None:
            msg = f"0/1 nodes are available: {resources}, {_PREEMPT}"
        else:
            msg = f"0/1 nodes are available: {problem}. {_PREEMPT}"

        def unschedulable(p: Obj, msg: str = msg) -> None:
            cond = _cond("PodScheduled", "False", "Unschedulable", msg)
            # The scheduler's condition carries the pod generation it saw (v1.33+).
            cond = {
                "type": "PodScheduled",
                "observedGeneration": meta(p).get("generation", 1),
                **{k: v for k, v in cond.items() if k != "type"},
            }
            set_condition(p.setdefault("status", {}), cond)

        k._update(ns, name, uid, unschedulable, manager="kube-scheduler")
        k._emit(pod, "Warning", "FailedScheduling", msg, component="default-scheduler")
        await k._wait(ns, name, uid, max(k.step * 3, 0.2))

    def bind(p: Obj) -> None:
        p["spec"]["nodeName"] = k.node
        status = p.setdefault("status", {})
        status["conditions"] = [
            c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"
        ]
        set_condition(status, _cond("PodScheduled", "True"))

    pod = k._update(ns, name, uid, bind, manager="kube-scheduler")
    k._emit(
        pod,
        "Normal",
        "Scheduled",
        f"Successfully assigned {ns}/{name} to {k.node}",
        component="default-scheduler",
    )


# The order a kubelet lists pod conditions in.
_CONDITION_ORDER = [
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
]


async def _start(k: Kubelet, ns: str, name: str, uid: str, restarted: bool = False) -> None:
    pod = k._pod(ns, name, uid)
    containers = k.containers(pod)
    names = [c["name"] for c in containers]
    restarts = {
        cs["name"]: cs.get("restartCount", 0)
        for cs in (pod.get("status") or {}).get("containerStatuses") or []
    }
    if not restarted and k.config.node_reports_steps:

        def creating(p: Obj) -> None:
            s = p.setdefault("status", {})
            s["phase"] = "Pending"
            s["hostIP"], s["hostIPs"] = k.host_ip, [{"ip": k.host_ip}]
            s.setdefault("startTime", now_rfc3339())
            set_condition(s, _cond("PodReadyToStartContainers", "False"))
            set_condition(s, _cond("Initialized", "True"))
            set_condition(
                s, _cond("Ready", "False", "ContainersNotReady", not_ready_message(names))
            )
            set_condition(
                s, _cond("ContainersReady", "False", "ContainersNotReady", not_ready_message(names))
            )
            s["containerStatuses"] = [
                k.container_status(c, 0, {"waiting": {"reason": "ContainerCreating"}})
                for c in containers
            ]

        k._update(ns, name, uid, creating)
        await k._sleep(ns, name, uid, k.step)
        ip = k.allocate_ip()

        def sandbox(p: Obj) -> None:
            s = p["status"]
            s["podIP"], s["podIPs"] = ip, [{"ip": ip}]
            set_condition(s, _cond("PodReadyToStartContainers", "True"))

        k._update(ns, name, uid, sandbox)
    for c in containers:
        while (problem := config_problem(k, k._pod(ns, name, uid), c)) is not None:

            def config_error(p: Obj, c: Obj = c, problem: str = problem) -> None:
                for cs in p["status"].get("containerStatuses") or []:
                    if cs["name"] == c["name"]:
                        cs["state"] = {
                            "waiting": {"reason": "CreateContainerConfigError", "message": problem}
                        }

            pod = k._update(ns, name, uid, config_error)
            k._emit(pod, "Warning", "Failed", f"Error: {problem}", c["name"])
            await k._wait(ns, name, uid, max(k.step * 3, 0.2))
        pod = k._pod(ns, name, uid)
        if k.mode(pod) == "imagepull":
            await pull_failure(k, ns, name, uid)
            pod = k._pod(ns, name, uid)
        image = c.get("image", "")
        if restarted or not k.config.node_reports_steps:
            k._emit(
                pod,
                "Normal",
                "Pulled",
                f'Container image "{image}" already present on machine',
                c["name"],
            )
        else:
            k._emit(pod, "Normal", "Pulling", f'Pulling image "{image}"', c["name"])
            k._emit(
                pod,
                "Normal",
                "Pulled",
                f'Successfully pulled image "{image}" in 1.021s '
                "(1.021s including waiting). Image size: 52428800 bytes.",
                c["name"],
            )
        k._emit(pod, "Normal", "Created", f"Created container: {c['name']}", c["name"])
        k._emit(pod, "Normal", "Started", f"Started container {c['name']}", c["name"])
    await k._sleep(ns, name, uid, k.step)
    _set_running(k, ns, name, uid, restarts)


def _set_running(k: Kubelet, ns: str, name: str, uid: str, restarts: dict[str, int]) -> None:
    pod = k._pod(ns, name, uid)
    containers = k.containers(pod)
    old = {cs["name"]: cs for cs in (pod.get("status") or {}).get("containerStatuses") or []}
    for c in containers:
        n = restarts.get(c["name"], 0)
        k.logs.start_instance(ns, name, c["name"], n)
        if k.config.log_heartbeat:
            continue  # (a heartbeat every log_heartbeat seconds instead)
        port = next((p.get("containerPort") for p in c.get("ports") or []), 8080)
        k.logs.append(
            ns,
            name,
            c["name"],
            [
                f"Starting {c['name']} (image {c.get('image', '')})",
                f"Listening on 0.0.0.0:{port}",
                f"{c['name']} is ready",
            ],
        )

    ip = k.allocate_ip() if not k.config.node_reports_steps else None

    def running(p: Obj) -> None:
        s = p.setdefault("status", {})
        s["phase"] = "Running"
        if ip is not None and "podIP" not in s:
            s["hostIP"], s["hostIPs"] = k.host_ip, [{"ip": k.host_ip}]
            s["podIP"], s["podIPs"] = ip, [{"ip": ip}]
            s.setdefault("startTime", now_rfc3339())
        set_condition(s, _cond("PodReadyToStartContainers", "True"))
        set_condition(s, _cond("Initialized", "True"))
        set_condition(s, _cond("Ready", "True"))
        set_condition(s, _cond("ContainersReady", "True"))
        order = _CONDITION_ORDER
        s["conditions"].sort(key=lambda c: order.index(c["type"]) if c["type"] in order else 9)
        s["containerStatuses"] = [
            k.container_status(
                c,
                restarts.get(c["name"], 0),
                {"running": {"startedAt": now_rfc3339()}},
                ready=True,
                started=True,
                last=(old.get(c["name"]) or {}).get("lastState"),
                uid=uid,
            )
            for c in containers
        ]

    k._update(ns, name, uid, running)
    k.started[uid] = time.monotonic()


async def _crash_cycle(k: Kubelet, ns: str, name: str, uid: str, mode: str) -> None:
    await k._sleep(ns, name, uid, k.step)
    pod = k._pod(ns, name, uid)
    containers = k.containers(pod)
    oom = mode == "oom"
    for c in containers:
        lines = (
            ["Loading configuration", "Allocating worker buffers"]
            if oom
            else [
                "Loading configuration",
                "Error: unhandled exception in main loop",
                "Exiting with code 1",
            ]
        )
        k.logs.append(ns, name, c["name"], lines)
        k.logs.finish(ns, name, c["name"])
    finished = now_rfc3339()
    old = {cs["name"]: cs for cs in (pod.get("status") or {}).get("containerStatuses") or []}
    restarts = {
        c["name"]: int((old.get(c["name"]) or {}).get("restartCount", 0)) + 1 for c in containers
    }

    backoff = k.next_backoff(uid)

    def crashed(p: Obj) -> None:
        s = p["status"]
        statuses = []
        for c in containers:
            prev = old.get(c["name"]) or {}
            started = ((prev.get("state") or {}).get("running") or {}).get("startedAt", finished)
            term = {
                "exitCode": 137 if oom else 1,
                "reason": "OOMKilled" if oom else "Error",
                "startedAt": started,
                "finishedAt": finished,
                "containerID": prev.get("containerID", ""),
            }
            written = k.termination_messages.get((ns, k.deployment_of(p) or ""))
            if written is not None:
                term["message"] = written
            msg = (
                f"back-off {go_duration(backoff)} restarting failed container={c['name']} "
                f"pod={name}_{ns}({uid})"
            )
            cs = k.container_status(
                c,
                restarts[c["name"]],
                {"waiting": {"reason": "CrashLoopBackOff", "message": msg}},
                last={"terminated": term},
            )
            cs["imageID"] = prev.get("imageID", "")
            cs["containerID"] = prev.get("containerID", "")
            statuses.append(cs)
        s["containerStatuses"] = statuses
        names = [c["name"] for c in containers]
        set_condition(s, _cond("Ready", "False", "ContainersNotReady", not_ready_message(names)))
        set_condition(
            s, _cond("ContainersReady", "False", "ContainersNotReady", not_ready_message(names))
        )

    pod = k._update(ns, name, uid, crashed)
    for c in containers:
        k._emit(
            pod,
            "Warning",
            "BackOff",
            f"Back-off restarting failed container {c['name']} in pod {name}_{ns}({uid})",
            c["name"],
        )
    await k._sleep(ns, name, uid, backoff)
    for c in containers:
        k._emit(
            pod,
            "Normal",
            "Pulled",
            f'Container image "{c.get("image", "")}" already present on machine',
            c["name"],
        )
        k._emit(pod, "Normal", "Created", f"Created container: {c['name']}", c["name"])
        k._emit(pod, "Normal", "Started", f"Started container {c['name']}", c["name"])
    _set_running(k, ns, name, uid, restarts)


async def terminate_pod(k: Kubelet, ns: str, name: str, uid: str) -> None:
    """Stop a deleted pod's containers after its grace period, then remove the pod."""
    pod = k._pod(ns, name, uid, deleting_ok=True)
    containers = k.containers(pod)
    started = any(
        "running" in (cs.get("state") or {})
        for cs in (pod.get("status") or {}).get("containerStatuses") or []
    )
    if started:
        for c in containers:
            k._emit(pod, "Normal", "Killing", f"Stopping container {c['name']}", c["name"])
    grace = min(float(meta(pod).get("deletionGracePeriodSeconds") or 0), k.config.pod_grace_period)
    loop = asyncio.get_running_loop()
    end = loop.time() + grace
    event = k.signals.get(uid)
    while event is not None and (left := end - loop.time()) > 0:
        try:
            async with asyncio.timeout(left):
                await event.wait()
        except TimeoutError:
            break
        event.clear()
        k._pod(ns, name, uid, deleting_ok=True)
    for c in containers:
        k.logs.finish(ns, name, c["name"])

    def stopped(p: Obj) -> None:
        s = p.setdefault("status", {})
        for cs in s.get("containerStatuses") or []:
            run = (cs.get("state") or {}).get("running")
            if run:
                cs["state"] = {
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": run.get("startedAt"),
                        "finishedAt": now_rfc3339(),
                        "containerID": cs.get("containerID", ""),
                    }
                }
            cs["ready"], cs["started"] = False, False
        set_condition(s, _cond("Ready", "False", "PodCompleted"))
        set_condition(s, _cond("ContainersReady", "False", "PodCompleted"))

    try:
        if k.config.node_reports_steps:  # (the corpus's node deletes without a last status)
            k._update(ns, name, uid, stopped, deleting_ok=True)
        k._pod(ns, name, uid, deleting_ok=True)
    except _Gone:
        return
    with k.api.acting(k.config.kubelet_manager):
        k.api.delete(POD, ns, name, {"gracePeriodSeconds": 0, "preconditions": {"uid": uid}})


__all__ = ["_Terminate", "run_pod", "terminate_pod"]
