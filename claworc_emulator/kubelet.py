"""A fake scheduler + kubelet: moves pods through their real lifecycle and failure modes."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import time
from collections.abc import Callable
from typing import Any

from claworc_emulator.config import EmulatorConfig
from claworc_emulator.container_logs import LogStore
from claworc_emulator.event_recorder import EventRecorder
from claworc_emulator.object_store import Change, Obj, meta, now_rfc3339
from claworc_emulator.pod_spec_rules import pod_containers
from claworc_emulator.resources import BY_PLURAL
from claworc_emulator.rest_api import RestApi

POD, RS = BY_PLURAL["pods"], BY_PLURAL["replicasets"]
_WAKE_ON = ("secrets", "configmaps", "persistentvolumeclaims")


class _Gone(Exception):
    """The pod (with this uid) no longer exists."""


class _Terminate(Exception):
    """The pod got a deletionTimestamp."""


def _hex(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def _cond(type_: str, status: str, reason: str | None = None, message: str | None = None) -> Obj:
    c: Obj = {
        "type": type_,
        "status": status,
        "lastProbeTime": None,
        "lastTransitionTime": now_rfc3339(),
    }
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def set_condition(status: Obj, cond: Obj) -> None:
    """Set ``cond`` in ``status.conditions``, replacing the condition of the same type."""
    conds = status.setdefault("conditions", [])
    for i, c in enumerate(conds):
        if c.get("type") == cond["type"]:
            if c.get("status") == cond["status"]:
                cond["lastTransitionTime"] = c.get("lastTransitionTime")
            conds[i] = cond
            return
    conds.append(cond)


class Kubelet:
    """The scheduler and the one node's kubelet: binds pods, runs them through their lifecycle
    (pull, start, probe, crash, back off, terminate) and writes their status, logs and events.
    """

    def __init__(
        self, api: RestApi, rec: EventRecorder, logs: LogStore, config: EmulatorConfig, node: Obj
    ) -> None:
        self.api, self.rec, self.logs, self.config = api, rec, logs, config
        self.node = meta(node)["name"]
        addresses = (node.get("status") or {}).get("addresses") or []
        self.host_ip = next(
            (a["address"] for a in addresses if a.get("type") == "InternalIP"), "10.0.0.10"
        )
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.signals: dict[str, asyncio.Event] = {}
        self.modes: dict[tuple[str, str], str] = {}
        self.unpullable: dict[tuple[str, str], str] = {}
        """(namespace, deployment) -> the one image its pods cannot pull (others run)."""
        self.termination_messages: dict[tuple[str, str], str] = {}
        """What a crashing container of a deployment writes to ``/dev/termination-log``."""
        self.next_ip = 10
        self.backoffs: dict[str, float] = {}  # pod uid -> its last crash-loop back-off
        self.started: dict[str, float] = {}  # pod uid -> when its containers last started
        self.beats: dict[str, float] = {}  # pod uid -> when its next heartbeat line is due
        self.beat_count: dict[tuple[str, str], int] = {}  # (uid, container) -> lines so far
        self.running = False

    @property
    def step(self) -> float:
        return self.config.pod_start_delay / 3

    # -- subscription ----------------------------------------------------------------------
    def push(self, change: Change) -> None:
        m = meta(change.obj)
        if change.res.plural == "pods":
            uid = m["uid"]
            if change.type == "ADDED" and self.running:
                self._spawn(change.obj)
            if change.type == "DELETED":
                self.logs.drop_pod(change.namespace, m["name"])
            self._signal(uid)
        elif change.res.plural in _WAKE_ON:
            for pod in self.api.store.items(POD, change.namespace):
                self._signal(meta(pod)["uid"])

    def expire(self, compacted: int) -> None:
        del compacted

    def _signal(self, uid: str) -> None:
        event = self.signals.get(uid)
        if event is not None:
            event.set()

    def _spawn(self, pod: Obj) -> None:
        m = meta(pod)
        uid = m["uid"]
        if uid in self.tasks:
            return
        self.signals[uid] = asyncio.Event()
        task = asyncio.create_task(self._run(m["namespace"], m["name"], uid))
        self.tasks[uid] = task

        def done(_: asyncio.Task[None]) -> None:
            self.tasks.pop(uid, None)
            self.backoffs.pop(uid, None)
            self.beats.pop(uid, None)
            self.started.pop(uid, None)
            self.signals.pop(uid, None)

        task.add_done_callback(done)

    def start(self) -> None:
        self.running = True
        self.api.store.subscribers.add(self)
        for pod in self.api.store.items(POD):
            self._spawn(pod)

    async def stop(self) -> None:
        self.running = False
        self.api.store.subscribers.discard(self)
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- failure modes ---------------------------------------------------------------------
    def deployment_of(self, pod: Obj) -> str | None:
        ns = meta(pod).get("namespace", "")
        for ref in meta(pod).get("ownerReferences") or []:
            if ref.get("kind") == "ReplicaSet":
                rs = self.api.store.get(RS, ns, ref["name"])
                for rref in meta(rs or {}).get("ownerReferences") or []:
                    if rref.get("kind") == "Deployment":
                        return str(rref["name"])
        return None

    def mode(self, pod: Obj) -> str | None:
        dep = self.deployment_of(pod)
        if not dep:
            return None
        key = (meta(pod).get("namespace", ""), dep)
        bad = self.unpullable.get(key)
        if bad is not None and any(c.get("image") == bad for c in self.containers(pod)):
            return "imagepull"
        return self.modes.get(key)

    def set_mode(self, ns: str, deployment: str, mode: str | None) -> None:
        if mode is None:
            self.modes.pop((ns, deployment), None)
            self.unpullable.pop((ns, deployment), None)
        else:
            self.modes[(ns, deployment)] = mode
        self._signal_deployment(ns, deployment)

    def set_unpullable(self, ns: str, deployment: str, image: str) -> None:
        """Pods of ``deployment`` running ``image`` fail to pull it; its other pods run."""
        self.unpullable[(ns, deployment)] = image
        self._signal_deployment(ns, deployment)

    def _signal_deployment(self, ns: str, deployment: str) -> None:
        for pod in self.api.store.items(POD, ns):
            if self.deployment_of(pod) == deployment:
                self._signal(meta(pod)["uid"])

    # -- plumbing --------------------------------------------------------------------------
    def _pod(self, ns: str, name: str, uid: str, deleting_ok: bool = False) -> Obj:
        pod = self.api.store.get(POD, ns, name)
        if pod is None or meta(pod).get("uid") != uid:
            raise _Gone
        if meta(pod).get("deletionTimestamp") and not deleting_ok:
            raise _Terminate
        return pod

    async def _wait(self, ns: str, name: str, uid: str, limit: float | None) -> None:
        """Wait for a change to the pod (or a dependency) or the time limit; then recheck it."""
        event = self.signals.get(uid)
        if event is None:
            raise _Gone
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit):
                await event.wait()
        event.clear()
        self._pod(ns, name, uid)

    async def _sleep(self, ns: str, name: str, uid: str, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while (left := end - loop.time()) > 0:
            await self._wait(ns, name, uid, left)
        self._pod(ns, name, uid)

    def _update(
        self,
        ns: str,
        name: str,
        uid: str,
        fn: Callable[[Obj], None],
        deleting_ok: bool = False,
        manager: str | None = None,
    ) -> Obj:
        pod = copy.deepcopy(self._pod(ns, name, uid, deleting_ok))
        fn(pod)
        with self.api.acting(manager or self.config.kubelet_manager):
            return self.api.write(POD, pod)

    def _emit(
        self,
        pod: Obj,
        type_: str,
        reason: str,
        msg: str,
        container: str | None = None,
        component: str = "kubelet",
    ) -> None:
        path = f"spec.containers{{{container}}}" if container else None
        self.rec.emit(pod, type_, reason, msg, component, path)

    # -- lifecycle -------------------------------------------------------------------------
    async def _run(self, ns: str, name: str, uid: str) -> None:
        from claworc_emulator.pod_lifecycle import run_pod, terminate_pod

        try:
            try:
                await run_pod(self, ns, name, uid)
            except _Terminate:
                await terminate_pod(self, ns, name, uid)
        except _Gone:
            return

    def container_status(
        self,
        c: Obj,
        restarts: int,
        state: Obj,
        *,
        ready: bool = False,
        started: bool = False,
        last: Obj | None = None,
        uid: str = "",
    ) -> Obj:
        cs: Obj = {
            "name": c["name"],
            "state": state,
            "lastState": last or {},
            "ready": ready,
            "restartCount": restarts,
            "image": c.get("image", ""),
            "imageID": "",
            "started": started,
        }
        mounts = [
            {"name": vm.get("name"), "mountPath": vm.get("mountPath")}
            | ({"readOnly": True} if vm.get("readOnly") else {})
            for vm in c.get("volumeMounts") or []
            if isinstance(vm, dict)
        ]
        if mounts:
            cs["volumeMounts"] = mounts
        if "running" in state or "terminated" in state:
            cs["containerID"] = "containerd://" + _hex(uid, c["name"], str(restarts))
            cs["imageID"] = f"{c.get('image', '').split(':')[0]}@sha256:" + _hex(c.get("image", ""))
        return cs

    def containers(self, pod: Obj) -> list[Obj]:
        return pod_containers(pod)

    def next_backoff(self, uid: str) -> float:
        """The kubelet's crash-loop back-off for this pod's next restart: 10 s, doubling up
        to 5 min, back to 10 s once the container ran for 10 min (scaled by the config)."""
        base = self.config.crash_backoff if self.config.crash_backoff is not None else 10.0
        cap = self.config.crash_backoff_max or base * 30
        ran = time.monotonic() - self.started.get(uid, time.monotonic())
        last = self.backoffs.get(uid)
        delay = base if last is None or ran >= 2 * cap else min(last * 2, cap)
        self.backoffs[uid] = delay
        return delay

    def allocate_ip(self) -> str:
        if self.config.pod_ip:
            return self.config.pod_ip
        self.next_ip += 1
        return f"10.244.{(self.next_ip // 250) % 250}.{self.next_ip % 250 + 2}"


__all__ = ["Any", "Kubelet", "_Gone", "_Terminate", "set_condition"]
