"""Why a pod cannot start, as the kubelet reports it: requests that do not fit the node,
missing or unbound volumes, missing ConfigMaps/Secrets, and image pulls that fail."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING

from claworc_emulator.kubelet import _cond, set_condition
from claworc_emulator.object_store import Obj, meta
from claworc_emulator.resources import BY_PLURAL
from claworc_emulator.validation import parse_quantity

if TYPE_CHECKING:
    from claworc_emulator.kubelet import Kubelet


PVC = BY_PLURAL["persistentvolumeclaims"]


def resource_problem(k: Kubelet, pod: Obj) -> str | None:
    """The scheduler's fit check, simplified: the pod's own requests against the node's
    allocatable resources (a pod that fits on no node stays Pending; what other pods
    already use is not counted, so a fleet never runs out of room in the emulator)."""
    node = k.api.store.get(BY_PLURAL["nodes"], "", k.node) or {}
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    short = []
    for resource in ("cpu", "memory"):
        have = parse_quantity(allocatable.get(resource))
        if have is None:
            continue
        asked = sum(
            (
                parse_quantity(((c.get("resources") or {}).get("requests") or {}).get(resource, 0))
                or Fraction(0)
                for c in (pod.get("spec") or {}).get("containers") or []
            ),
            Fraction(0),
        )
        if asked > have:
            short.append(f"Insufficient {resource}")
    if not short:
        return None
    return ", ".join(f"1 {s}" for s in short) + ". no new claims to deallocate"


def volume_problem(k: Kubelet, pod: Obj) -> str | None:
    """Why the pod's PersistentVolumeClaims keep it from scheduling (missing, being deleted or
    unbound), or None.
    """
    ns = meta(pod)["namespace"]
    for vol in (pod.get("spec") or {}).get("volumes") or []:
        claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
        if not claim:
            continue
        pvc = k.api.store.get(PVC, ns, claim)
        if pvc is None:
            return f'persistentvolumeclaim "{claim}" not found'
        if meta(pvc).get("deletionTimestamp"):
            return f'persistentvolumeclaim "{claim}" is being deleted'
        if (pvc.get("status") or {}).get("phase") != "Bound":
            return "pod has unbound immediate PersistentVolumeClaims"
    return None


def config_problem(k: Kubelet, pod: Obj, c: Obj) -> str | None:
    """Why container ``c`` cannot be created for want of a Secret or ConfigMap (or a key of one)
    it refers to without ``optional``, as the kubelet's CreateContainerConfigError says; or None.
    """
    ns = meta(pod)["namespace"]
    refs: list[tuple[str, str, bool]] = []
    for src in c.get("envFrom") or []:
        for kind in ("secretRef", "configMapRef"):
            ref = src.get(kind)
            if ref:
                refs.append((kind, ref.get("name", ""), bool(ref.get("optional"))))
    for env in c.get("env") or []:
        vf = env.get("valueFrom") or {}
        for kind, plural in (("secretKeyRef", "secretRef"), ("configMapKeyRef", "configMapRef")):
            ref = vf.get(kind)
            if ref:
                refs.append((plural, ref.get("name", ""), bool(ref.get("optional"))))
    for kind, name, optional in refs:
        plural = "secrets" if kind == "secretRef" else "configmaps"
        if not optional and k.api.store.get(BY_PLURAL[plural], ns, name) is None:
            word = "secret" if plural == "secrets" else "configmap"
            return f'{word} "{name}" not found'
    return None


def not_ready_message(names: list[str]) -> str:
    """The Ready condition's message for the containers ``names`` that are not ready."""
    return f"containers with unready status: [{' '.join(names)}]"


def pull_message(reason: str, image: str) -> str:
    """The containerd message of an image pull failure ``reason`` for ``image``."""
    if reason == "ErrImagePull":
        return (
            f'failed to pull and unpack image "{image}": failed to resolve reference '
            f'"{image}": {image}: not found'
        )
    return f'Back-off pulling image "{image}"'


def pull_waiting(k: Kubelet, containers: list[Obj], reason: str) -> Callable[[Obj], None]:
    """A status update putting every container in ``containers`` waiting with ``reason``."""

    def waiting(p: Obj) -> None:
        s = p["status"]
        names = [c["name"] for c in containers]
        old = {cs["name"]: cs for cs in s.get("containerStatuses") or []}
        statuses = []
        for c in containers:
            prev = old.get(c["name"]) or {}
            state = {
                "waiting": {"reason": reason, "message": pull_message(reason, c.get("image", ""))}
            }
            restarts = int(prev.get("restartCount", 0))
            statuses.append(k.container_status(c, restarts, state, last=prev.get("lastState")))
        s["containerStatuses"] = statuses
        set_condition(s, _cond("Ready", "False", "ContainersNotReady", not_ready_message(names)))
        set_condition(
            s, _cond("ContainersReady", "False", "ContainersNotReady", not_ready_message(names))
        )

    return waiting


async def pull_failure(k: Kubelet, ns: str, name: str, uid: str) -> None:
    """Cycle the pod through ErrImagePull and ImagePullBackOff, with the kubelet's events, while
    its deployment stays in the image-pull failure mode.
    """
    while k.mode(k._pod(ns, name, uid)) == "imagepull":
        containers = k.containers(k._pod(ns, name, uid))
        for c in containers:
            k.logs.finish(ns, name, c["name"])
        for reason in ("ErrImagePull", "ImagePullBackOff"):
            pod = k._update(ns, name, uid, pull_waiting(k, containers, reason))
            for c in containers:
                image = c.get("image", "")
                if reason == "ErrImagePull":
                    k._emit(pod, "Normal", "Pulling", f'Pulling image "{image}"', c["name"])
                    k._emit(
                        pod,
                        "Warning",
                        "Failed",
                        f'Failed to pull image "{image}": rpc '
                        f"error: code = NotFound desc = {pull_message(reason, image)}",
                        c["name"],
                    )
                    k._emit(pod, "Warning", "Failed", "Error: ErrImagePull", c["name"])
                else:
                    k._emit(
                        pod, "Normal", "BackOff", f'Back-off pulling image "{image}"', c["name"]
                    )
                    k._emit(pod, "Warning", "Failed", "Error: ImagePullBackOff", c["name"])
            await k._sleep(ns, name, uid, k.step)
            if k.mode(k._pod(ns, name, uid)) != "imagepull":
                return
