"""PersistentVolumeClaim binding, resize and protection; namespace termination."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from claworc_emulator.controller import NS, POD, PVC
from claworc_emulator.object_store import Obj, meta, now_rfc3339
from claworc_emulator.resources import BY_PLURAL
from claworc_emulator.validation import parse_quantity

if TYPE_CHECKING:
    from claworc_emulator.controller import Controller

PROTECTION = "kubernetes.io/pvc-protection"
PROVISIONER = "rancher.io/local-path"


def pods_using(ctl: Controller, ns: str, claim: str) -> list[Obj]:
    """The live pods in ``ns`` that mount PVC ``claim``."""
    out = []
    for pod in ctl.store.items(POD, ns):
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        for vol in (pod.get("spec") or {}).get("volumes") or []:
            if (vol.get("persistentVolumeClaim") or {}).get("claimName") == claim:
                out.append(pod)
                break
    return out


STORAGE_CLASSES = ("standard",)  # the cluster's (default) StorageClass


def _unbindable(ctl: Controller, pvc: Obj) -> bool:
    """A claim that stays Pending, with the persistentvolume-controller's event: no class
    ("" = static binding only, and no PV matches), or a class that does not exist. Claims
    with a selector are never provisioned dynamically."""
    spec = pvc.get("spec") or {}
    cls = spec.get("storageClassName")
    if cls == "":
        why, reason, kind = (
            "no persistent volumes available for this claim and no storage class is set",
            "FailedBinding",
            "Normal",
        )
    elif cls not in STORAGE_CLASSES:
        why, reason, kind = (
            f'storageclass.storage.k8s.io "{cls}" not found',
            "ProvisioningFailed",
            "Warning",
        )
    else:
        return bool(spec.get("selector"))
    ctl.rec.emit(pvc, kind, reason, why, "persistentvolume-controller")
    return True


def sync_pvc(ctl: Controller, ns: str, name: str) -> None:
    """Bind, resize and protect PVC ``ns/name`` as the PV controller and provisioner do."""
    pvc = ctl.store.get(PVC, ns, name)
    if pvc is None:
        return
    m = meta(pvc)
    if m.get("deletionTimestamp"):
        finalizers = list(m.get("finalizers") or [])
        if PROTECTION in finalizers and not pods_using(ctl, ns, name):
            finalizers.remove(PROTECTION)
            new = copy.deepcopy(pvc)
            meta(new)["finalizers"] = finalizers
            ctl.api.write(PVC, new)
        return
    status = pvc.get("status") or {}
    request = ((pvc["spec"].get("resources") or {}).get("requests") or {}).get("storage")
    if status.get("phase") != "Bound" and _unbindable(ctl, pvc):
        return
    if status.get("phase") != "Bound":
        if m["uid"] not in ctl.scheduled:
            ctl.scheduled.add(m["uid"])
            ctl.later(ctl.delay / 3, ("persistentvolumeclaims", ns, name))
            return
        new = copy.deepcopy(pvc)
        new["spec"]["volumeName"] = f"pvc-{m['uid']}"
        ann = meta(new).setdefault("annotations", {})
        ann["pv.kubernetes.io/bind-completed"] = "yes"
        ann["pv.kubernetes.io/bound-by-controller"] = "yes"
        ann["volume.beta.kubernetes.io/storage-provisioner"] = PROVISIONER
        ann["volume.kubernetes.io/storage-provisioner"] = PROVISIONER
        new["status"] = {
            "phase": "Bound",
            "accessModes": list(pvc["spec"].get("accessModes") or []),
            "capacity": {"storage": request},
        }
        ctl.api.write(PVC, new)
        ctl.rec.emit(
            new,
            "Normal",
            "ProvisioningSucceeded",
            f"Successfully provisioned volume pvc-{m['uid']}",
            PROVISIONER,
        )
        return
    capacity = (status.get("capacity") or {}).get("storage")
    want, have = parse_quantity(request), parse_quantity(capacity)
    if want is not None and have is not None and want > have:
        new = copy.deepcopy(pvc)
        new["status"]["capacity"] = {"storage": request}
        ctl.api.write(PVC, new)
        ctl.rec.emit(
            new,
            "Normal",
            "FileSystemResizeSuccessful",
            f'MountVolume.NodeExpandVolume succeeded for volume "pvc-{m["uid"]}" node-1',
            "kubelet",
        )


_CONTENT = (
    "deployments",
    "replicasets",
    "pods",
    "services",
    "persistentvolumeclaims",
    "secrets",
    "configmaps",
    "serviceaccounts",
    "events",
)


ROOT_CA_DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
    "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
    "guaranteed across distributions of Kubernetes clusters."
)
ROOT_CA = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3MtZW11bGF0b3It\n"
    "-----END CERTIFICATE-----\n"
)


def _namespace_defaults(ctl: Controller, name: str) -> None:
    """What the service-account and root-CA publisher controllers add to a new namespace."""
    sa, cm = BY_PLURAL["serviceaccounts"], BY_PLURAL["configmaps"]
    if ctl.store.get(sa, name, "default") is None:
        with ctl.api.acting(""):
            ctl.api.create(sa, name, {"metadata": {"name": "default"}})
    if ctl.store.get(cm, name, "kube-root-ca.crt") is None:
        ctl.api.create(
            cm,
            name,
            {
                "metadata": {
                    "name": "kube-root-ca.crt",
                    "annotations": {"kubernetes.io/description": ROOT_CA_DESCRIPTION},
                },
                "data": {"ca.crt": ROOT_CA},
            },
        )


def _report_remaining(
    ctl: Controller, nso: Obj, remaining: dict[str, int], finalizers: dict[str, int]
) -> None:
    """The namespace controller's conditions while content remains."""

    def cond(type_: str, status: str, reason: str, message: str) -> Obj:
        return {
            "type": type_,
            "status": status,
            "lastTransitionTime": now_rfc3339(),
            "reason": reason,
            "message": message,
        }

    counts = ", ".join(f"{k} has {v} resource instances" for k, v in sorted(remaining.items()))
    held = ", ".join(f"{k} in {v} resource instances" for k, v in sorted(finalizers.items()))
    conds = [
        cond(
            "NamespaceDeletionDiscoveryFailure",
            "False",
            "ResourcesDiscovered",
            "All resources successfully discovered",
        ),
        cond(
            "NamespaceDeletionGroupVersionParsingFailure",
            "False",
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed",
        ),
        cond(
            "NamespaceDeletionContentFailure",
            "False",
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization",
        ),
        cond(
            "NamespaceContentRemaining",
            "True",
            "SomeResourcesRemain",
            f"Some resources are remaining: {counts}",
        ),
        cond(
            "NamespaceFinalizersRemaining",
            "True" if finalizers else "False",
            "SomeFinalizersRemain" if finalizers else "ContentHasNoFinalizers",
            f"Some content in the namespace has finalizers remaining: {held}"
            if finalizers
            else "All content-preserving finalizers finished",
        ),
    ]
    old = {c["type"]: c for c in (nso.get("status") or {}).get("conditions") or []}
    for c in conds:
        prev = old.get(c["type"])
        if prev and (prev["status"], prev["reason"]) == (c["status"], c["reason"]):
            c["lastTransitionTime"] = prev["lastTransitionTime"]
            c["message"] = prev["message"] if prev["message"] == c["message"] else c["message"]
    if [(c["type"], c["status"], c["reason"], c["message"]) for c in conds] == [
        (c["type"], c["status"], c["reason"], c["message"]) for c in old.values()
    ]:
        return
    new = copy.deepcopy(nso)
    new.setdefault("status", {})["conditions"] = conds
    with ctl.api.acting("kube-controller-manager", "Update", "status"):
        ctl.api.write(NS, new)


def sync_namespace(ctl: Controller, name: str) -> None:
    """Namespace ``name``: its default objects while active; while terminating, delete its
    content, report what remains in its conditions, and drop the finalizer once empty.
    """
    nso = ctl.store.get(NS, "", name)
    if nso is None:
        return
    if not meta(nso).get("deletionTimestamp"):
        _namespace_defaults(ctl, name)
        return
    remaining: dict[str, int] = {}
    finalizers: dict[str, int] = {}
    for plural in _CONTENT:
        res = BY_PLURAL[plural]
        for obj in list(ctl.store.items(res, name)):
            remaining[plural] = remaining.get(plural, 0) + 1
            for f in meta(obj).get("finalizers") or []:
                finalizers[f] = finalizers.get(f, 0) + 1
            if not meta(obj).get("deletionTimestamp"):
                ctl.api.delete(res, name, meta(obj)["name"], {"propagationPolicy": "Background"})
    if remaining:
        _report_remaining(ctl, nso, remaining, finalizers)
        return
    new = copy.deepcopy(nso)
    new.setdefault("spec", {})["finalizers"] = []
    ctl.api.write(NS, new)
