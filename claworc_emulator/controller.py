"""Deployment, ReplicaSet, garbage-collector, PVC and namespace controllers."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from typing import Any

from claworc_emulator.errors import ApiError
from claworc_emulator.event_recorder import EventRecorder
from claworc_emulator.object_store import Change, Obj, meta, now_rfc3339
from claworc_emulator.resources import BY_PLURAL, Resource
from claworc_emulator.rest_api import RestApi, random_suffix

DEP, RS, POD = BY_PLURAL["deployments"], BY_PLURAL["replicasets"], BY_PLURAL["pods"]
PVC, NS = BY_PLURAL["persistentvolumeclaims"], BY_PLURAL["namespaces"]
_SAFE = "bcdfghjklmnpqrstvwxz2456789"
_OWNED = ("replicasets", "pods")


def template_hash(template: Obj, collisions: int = 0) -> str:
    """Like controller.ComputeHash: fnv32a of the template, encoded with SafeEncodeString."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    h = 0x811C9DC5
    for b in data + (str(collisions).encode() if collisions else b""):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return "".join(_SAFE[int(d) % len(_SAFE)] for d in str(h))


def owner_uids(obj: Obj) -> list[str]:
    """The UIDs of ``obj``'s ownerReferences."""
    return [r.get("uid", "") for r in (obj.get("metadata") or {}).get("ownerReferences") or []]


def owner_ref(obj: Obj) -> Obj:
    """A controller ownerReference (``controller`` and ``blockOwnerDeletion`` true) to ``obj``."""
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def is_ready(pod: Obj) -> bool:
    """True when ``pod`` has the condition Ready=True."""
    conds = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)


def is_active(pod: Obj) -> bool:
    """True when ``pod`` is not being deleted and has not ended (Succeeded/Failed)."""
    return not meta(pod).get("deletionTimestamp") and (pod.get("status") or {}).get(
        "phase"
    ) not in ("Succeeded", "Failed")


def _omit_zero(status: Obj, keep: tuple[str, ...] = ()) -> Obj:
    return {k: v for k, v in status.items() if v not in (0, None, []) or k in keep}


_GC_FINALIZERS = frozenset({"foregroundDeletion", "orphan"})


class Controller:
    """kube-controller-manager in one loop: deployment, replicaset, garbage-collector, PVC and
    namespace controllers, woken by store changes (it subscribes like a watch) and by timers.
    """

    def __init__(self, api: RestApi, recorder: EventRecorder, delay: float) -> None:
        self.api = api
        self.store = api.store
        self.rec = recorder
        self.delay = delay
        self.dirty: set[tuple[str, str, str]] = set()
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.timers: set[asyncio.Task[None]] = set()
        self.scheduled: set[str] = set()

    # -- subscription ----------------------------------------------------------------------
    def push(self, change: Change) -> None:
        plural, ns, obj = change.res.plural, change.namespace, change.obj
        name = meta(obj).get("name", "")
        if plural in ("deployments", "replicasets", "persistentvolumeclaims", "namespaces"):
            self.dirty.add((plural, ns, name))
        elif change.type != "DELETED" and _GC_FINALIZERS & set(meta(obj).get("finalizers") or []):
            # Any other kind deleted with propagationPolicy Foreground/Orphan: the garbage
            # collector handles its dependents, then drops the finalizer (at once when none).
            self.dirty.add((f"finalize:{plural}", ns, name))
        if plural in _OWNED:
            for ref in meta(obj).get("ownerReferences") or []:
                owner = {"ReplicaSet": "replicasets", "Deployment": "deployments"}.get(ref["kind"])
                if owner:
                    self.dirty.add((owner, ns, ref["name"]))
                if owner == "replicasets":
                    rs = self.store.get(RS, ns, ref["name"])
                    for rref in meta(rs or {}).get("ownerReferences") or []:
                        if rref.get("kind") == "Deployment":
                            self.dirty.add(("deployments", ns, rref["name"]))
        if change.type == "DELETED":
            self.dirty.add(("gc", ns, meta(obj).get("uid", "")))
        if plural == "pods":
            for vol in (obj.get("spec") or {}).get("volumes") or []:
                claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
                if claim:
                    self.dirty.add(("persistentvolumeclaims", ns, claim))
        if ns:
            nso = self.store.get(NS, "", ns)
            if nso is not None and meta(nso).get("deletionTimestamp"):
                self.dirty.add(("namespaces", "", ns))
        self.wake.set()

    def expire(self, compacted: int) -> None:
        del compacted

    def start(self) -> None:
        for plural in ("deployments", "replicasets", "persistentvolumeclaims", "namespaces"):
            for obj in self.store.items(BY_PLURAL[plural]):
                self.dirty.add((plural, meta(obj).get("namespace", ""), meta(obj)["name"]))
        self.wake = asyncio.Event()
        self.store.subscribers.add(self)
        self.task = asyncio.create_task(self._run())
        self.wake.set()

    async def stop(self) -> None:
        self.store.subscribers.discard(self)
        for task in [self.task, *self.timers]:
            if task is not None:
                task.cancel()
        for task in [self.task, *self.timers]:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self.task = None
        self.timers.clear()

    def later(self, delay: float, key: tuple[str, str, str]) -> None:
        async def fire() -> None:
            await asyncio.sleep(delay)
            self.dirty.add(key)
            self.wake.set()

        task = asyncio.create_task(fire())
        self.timers.add(task)
        task.add_done_callback(self.timers.discard)

    async def _run(self) -> None:
        while True:
            await self.wake.wait()
            if self.api.config.controller_latency:
                # Informers and work queues: a controller reacts a moment after the write.
                await asyncio.sleep(self.api.config.controller_latency)
            self.wake.clear()
            rounds = 0
            while self.dirty and rounds < 1000:
                rounds += 1
                plural, ns, name = self.dirty.pop()
                try:
                    self._process(plural, ns, name)
                except ApiError:
                    self.later(self.delay, (plural, ns, name))
            if self.dirty:
                self.wake.set()
            await asyncio.sleep(0)

    def _process(self, plural: str, ns: str, name: str) -> None:
        if plural.startswith("finalize:"):
            res = BY_PLURAL[plural.removeprefix("finalize:")]
            obj = self.store.get(res, ns, name)
            if obj is not None:
                self.finalize_owner(res, obj)
        elif plural == "deployments":
            self.sync_deployment(ns, name)
        elif plural == "replicasets":
            self.sync_replicaset(ns, name)
        elif plural == "gc":
            self.collect_orphans(ns, name)
        elif plural == "persistentvolumeclaims":
            from claworc_emulator.pvc_namespace_sync import sync_pvc

            sync_pvc(self, ns, name)
        elif plural == "namespaces":
            from claworc_emulator.pvc_namespace_sync import sync_namespace

            sync_namespace(self, name)

    # -- helpers ---------------------------------------------------------------------------
    def owned(self, res: Resource, ns: str, uid: str) -> list[Obj]:
        return [o for o in self.store.items(res, ns) if uid in owner_uids(o)]

    def update(self, res: Resource, obj: Obj) -> Obj:
        """A controller write: bumps generation on spec changes, skips no-ops."""
        current = self.store.get(res, meta(obj).get("namespace", ""), meta(obj)["name"])
        if current is not None and res.has_generation and current.get("spec") != obj.get("spec"):
            meta(obj)["generation"] = int(meta(current).get("generation", 1)) + 1
        return self.api.write(res, obj)

    # -- garbage collection ----------------------------------------------------------------
    def collect_orphans(self, ns: str, uid: str) -> None:
        for res in (RS, POD):
            for obj in self.owned(res, ns, uid):
                alive = [u for u in owner_uids(obj) if u != uid and self._uid_exists(ns, u)]
                if alive:
                    obj = copy.deepcopy(obj)
                    refs = meta(obj)["ownerReferences"]
                    meta(obj)["ownerReferences"] = [r for r in refs if r.get("uid") != uid]
                    self.api.write(res, obj)
                elif not meta(obj).get("deletionTimestamp"):
                    self.api.delete(res, ns, meta(obj)["name"], {"propagationPolicy": "Background"})

    def _uid_exists(self, ns: str, uid: str) -> bool:
        return any(meta(o).get("uid") == uid for r in (DEP, RS) for o in self.store.items(r, ns))

    def finalize_owner(self, res: Resource, obj: Obj) -> bool:
        """Handle foreground/orphan deletion of an owner. True when it is being deleted."""
        m = meta(obj)
        if not m.get("deletionTimestamp"):
            return False
        ns, uid = m.get("namespace", ""), m["uid"]
        finalizers = list(m.get("finalizers") or [])
        dependents = [(r, o) for r in (RS, POD) for o in self.owned(r, ns, uid)]
        if "orphan" in finalizers:
            for r, dep in dependents:
                dep = copy.deepcopy(dep)
                refs = [x for x in meta(dep)["ownerReferences"] if x.get("uid") != uid]
                if refs:
                    meta(dep)["ownerReferences"] = refs
                else:  # (omitempty: no empty list)
                    meta(dep).pop("ownerReferences", None)
                self.api.write(r, dep)
            finalizers.remove("orphan")
        elif "foregroundDeletion" in finalizers:
            for r, dep in dependents:
                if not meta(dep).get("deletionTimestamp"):
                    # The garbage collector deletes a dependent in the foreground only when it
                    # has dependents of its own (a ReplicaSet); a pod goes in the background.
                    has_own = any(self.owned(x, ns, meta(dep)["uid"]) for x in (RS, POD))
                    policy = "Foreground" if has_own else "Background"
                    self.api.delete(r, ns, meta(dep)["name"], {"propagationPolicy": policy})
            if dependents:
                return True
            finalizers.remove("foregroundDeletion")
        else:
            return True
        obj = copy.deepcopy(obj)
        meta(obj)["finalizers"] = finalizers
        self.api.write(res, obj)
        return True

    # -- deployments -----------------------------------------------------------------------
    def sync_deployment(self, ns: str, name: str) -> None:
        from claworc_emulator.deployment_controller import sync_deployment

        sync_deployment(self, ns, name)

    # -- replica sets ----------------------------------------------------------------------
    def sync_replicaset(self, ns: str, name: str) -> None:
        rs = self.store.get(RS, ns, name)
        if rs is None:
            return
        deleting = bool(meta(rs).get("deletionTimestamp"))
        uid = meta(rs)["uid"]
        pods = self.owned(POD, ns, uid)
        active = [p for p in pods if is_active(p)]
        want = 0 if deleting else int((rs.get("spec") or {}).get("replicas", 0))
        for _ in range(want - len(active)):
            self._create_pod(rs)
        if len(active) > want and not deleting:
            ranked = sorted(active, key=lambda p: (is_ready(p), meta(p)["creationTimestamp"]))
            for pod in ranked[: len(active) - want]:
                self.api.delete(POD, ns, meta(pod)["name"], {})
                self.rec.emit(
                    rs,
                    "Normal",
                    "SuccessfulDelete",
                    f"Deleted pod: {meta(pod)['name']}",
                    "replicaset-controller",
                )
        pods = [p for p in self.owned(POD, ns, uid) if is_active(p)]
        ready = sum(1 for p in pods if is_ready(p))
        status = _omit_zero(
            {
                "replicas": len(pods),
                "fullyLabeledReplicas": len(pods),
                "readyReplicas": ready,
                "availableReplicas": ready,
                "terminatingReplicas": sum(
                    1 for p in self.owned(POD, ns, uid) if meta(p).get("deletionTimestamp")
                ),
                "observedGeneration": meta(rs).get("generation", 1),
            },
            ("replicas", "terminatingReplicas"),
        )
        if rs.get("status") != status:
            new = copy.deepcopy(rs)
            new["status"] = status
            rs = self.api.write(RS, new)
        if deleting:  # the status keeps being reported until the garbage collector is done
            self.finalize_owner(RS, rs)

    def _create_pod(self, rs: Obj) -> None:
        template = copy.deepcopy((rs.get("spec") or {}).get("template") or {})
        tmeta = template.get("metadata") or {}
        rs_name = meta(rs)["name"]
        pod_meta: dict[str, Any] = {
            "generateName": f"{rs_name}-",
            "name": f"{rs_name}-{random_suffix()}",
            "namespace": meta(rs)["namespace"],
            "labels": tmeta.get("labels") or {},
            "ownerReferences": [owner_ref(rs)],
        }
        if tmeta.get("annotations"):
            pod_meta["annotations"] = tmeta["annotations"]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": pod_meta,
            "spec": template.get("spec") or {},
        }
        while self.store.get(POD, pod_meta["namespace"], pod_meta["name"]) is not None:
            pod_meta["name"] = f"{rs_name}-{random_suffix()}"
        try:
            created = self.api.create(POD, pod_meta["namespace"], pod)
        except ApiError as err:
            # The apiserver refused the pod (say, an image with whitespace, which template
            # validation lets through): a FailedCreate event, and a retry later.
            self.rec.emit(
                rs,
                "Warning",
                "FailedCreate",
                f"Error creating: {err.message}",
                "replicaset-controller",
            )
            self.later(max(self.delay * 3, 1.0), ("replicasets", pod_meta["namespace"], rs_name))
            return
        self.rec.emit(
            rs,
            "Normal",
            "SuccessfulCreate",
            f"Created pod: {meta(created)['name']}",
            "replicaset-controller",
        )


__all__ = ["Controller", "now_rfc3339", "template_hash"]
