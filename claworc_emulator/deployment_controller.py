"""The deployment controller: ReplicaSets per template, Recreate/RollingUpdate, status."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from claworc_emulator.controller import DEP, POD, RS, is_active, owner_ref, template_hash
from claworc_emulator.object_store import Obj, meta, now_rfc3339

if TYPE_CHECKING:
    from claworc_emulator.controller import Controller

REVISION = "deployment.kubernetes.io/revision"


def _template_sans_hash(template: Any) -> Obj:
    t = copy.deepcopy(template or {})
    labels = (t.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop("pod-template-hash", None)
    return t


def _revision(rs: Obj) -> int:
    try:
        return int((meta(rs).get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _scale(ctl: Controller, dep: Obj, rs: Obj, replicas: int) -> Obj:
    old = int((rs.get("spec") or {}).get("replicas", 0))
    if old == replicas:
        return rs
    new = copy.deepcopy(rs)
    new["spec"]["replicas"] = replicas
    ann = meta(new).setdefault("annotations", {})
    ann["deployment.kubernetes.io/desired-replicas"] = str(dep["spec"].get("replicas", 1))
    ann["deployment.kubernetes.io/max-replicas"] = str(dep["spec"].get("replicas", 1))
    direction = "up" if replicas > old else "down"
    ctl.rec.emit(
        dep,
        "Normal",
        "ScalingReplicaSet",
        f"Scaled {direction} replica set {meta(rs)['name']} from {old} to {replicas}",
        "deployment-controller",
    )
    return ctl.update(RS, new)


def _new_rs(ctl: Controller, dep: Obj, revision: int, replicas: int) -> Obj:
    spec = dep["spec"]
    collisions = int((dep.get("status") or {}).get("collisionCount", 0))
    template = copy.deepcopy(spec.get("template") or {})
    h = template_hash(template, collisions)
    template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = h
    selector = copy.deepcopy(spec.get("selector") or {})
    selector.setdefault("matchLabels", {})["pod-template-hash"] = h
    name = f"{meta(dep)['name']}-{h}"
    replicas_s = str(spec.get("replicas", 1))
    rs = {
        "metadata": {
            "name": name,
            "namespace": meta(dep)["namespace"],
            "labels": dict(template["metadata"]["labels"]),
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": replicas_s,
                "deployment.kubernetes.io/max-replicas": replicas_s,
                REVISION: str(revision),
            },
            "ownerReferences": [owner_ref(dep)],
        },
        "spec": {"replicas": replicas, "selector": selector, "template": template},
    }
    if spec.get("minReadySeconds"):
        rs["spec"]["minReadySeconds"] = spec["minReadySeconds"]
    created = ctl.api.create(RS, meta(dep)["namespace"], rs)
    if replicas:
        ctl.rec.emit(
            dep,
            "Normal",
            "ScalingReplicaSet",
            f"Scaled up replica set {name} from 0 to {replicas}",
            "deployment-controller",
        )
    return created


def sync_deployment(ctl: Controller, ns: str, name: str) -> None:
    """Bring deployment ``ns/name`` one step towards its spec: ReplicaSets per template hash,
    Recreate or RollingUpdate scaling, revision history and ``status``.
    """
    dep = ctl.store.get(DEP, ns, name)
    if dep is None or ctl.finalize_owner(DEP, dep):
        return
    dep = copy.deepcopy(dep)
    spec = dep["spec"]
    desired = int(spec.get("replicas", 1))
    all_rs = sorted(ctl.owned(RS, ns, meta(dep)["uid"]), key=_revision)
    want = _template_sans_hash(spec.get("template"))
    new_rs = next(
        (r for r in all_rs if _template_sans_hash(r["spec"].get("template")) == want), None
    )
    old_rs = [r for r in all_rs if r is not new_rs]
    recreate = (spec.get("strategy") or {}).get("type") == "Recreate"
    created_new = False
    # A scaling event (the replica count changed, not the template): the controller only
    # scales and recomputes the status; the Progressing condition stays as it is.
    desired_ann = (meta(new_rs).get("annotations") or {}) if new_rs is not None else {}
    scaling = desired_ann.get("deployment.kubernetes.io/desired-replicas") not in (
        None,
        str(desired),
    )
    if spec.get("paused"):
        pass
    elif new_rs is None:
        revision = max([_revision(r) for r in all_rs] + [0]) + 1
        old_pods = any(ctl.owned(POD, ns, meta(r)["uid"]) for r in old_rs)
        start = 0 if recreate and old_pods else desired
        if recreate:
            for r in old_rs:
                _scale(ctl, dep, r, 0)
        new_rs = _new_rs(ctl, dep, revision, start)
        created_new = True
    else:
        if recreate:
            for r in old_rs:
                _scale(ctl, dep, r, 0)
            if not any(ctl.owned(POD, ns, meta(r)["uid"]) for r in old_rs):
                new_rs = _scale(ctl, dep, new_rs, desired)
        else:
            new_rs = _scale(ctl, dep, new_rs, desired)
            ready = int((new_rs.get("status") or {}).get("availableReplicas", 0))
            if ready >= desired:
                for r in old_rs:
                    _scale(ctl, dep, r, 0)
        if _revision(new_rs) < max([_revision(r) for r in all_rs] + [0]):
            bumped = copy.deepcopy(new_rs)
            revision = max(_revision(r) for r in all_rs) + 1
            meta(bumped).setdefault("annotations", {})[REVISION] = str(revision)
            new_rs = ctl.update(RS, bumped)
    _cleanup_history(ctl, dep, new_rs)
    _update_status(ctl, dep, new_rs, created_new, scaling)


def _cleanup_history(ctl: Controller, dep: Obj, new_rs: Obj | None) -> None:
    limit = int(dep["spec"].get("revisionHistoryLimit", 10))
    ns = meta(dep)["namespace"]
    old = [
        r
        for r in sorted(ctl.owned(RS, ns, meta(dep)["uid"]), key=_revision)
        if new_rs is None or meta(r)["uid"] != meta(new_rs)["uid"]
    ]
    idle = [
        r
        for r in old
        if not r["spec"].get("replicas")
        and not ctl.owned(POD, ns, meta(r)["uid"])
        and not meta(r).get("deletionTimestamp")
    ]
    for r in idle[: max(len(old) - limit, 0)]:
        ctl.api.delete(RS, ns, meta(r)["name"], {})


def _set_conditions(conds: list[Obj], updates: list[Obj]) -> list[Obj]:
    """SetDeploymentCondition: a condition whose status or reason changes moves to the end;
    one with the same status and reason stays as it is (even with a new message)."""
    out = list(conds)
    for cond in updates:
        prev = next((c for c in out if c.get("type") == cond["type"]), None)
        if prev is not None and (prev.get("status"), prev.get("reason")) == (
            cond["status"],
            cond["reason"],
        ):
            continue
        out = [c for c in out if c.get("type") != cond["type"]] + [cond]
    return out


def _condition(old: list[Obj], type_: str, status: str, reason: str, message: str) -> Obj:
    now = now_rfc3339()
    prev = next((c for c in old if c.get("type") == type_), None)
    if (
        prev
        and prev.get("status") == status
        and prev.get("reason") == reason
        and prev.get("message") == message
    ):
        return prev
    transition = prev["lastTransitionTime"] if prev and prev.get("status") == status else now
    return {
        "type": type_,
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": transition,
        "reason": reason,
        "message": message,
    }


def _update_status(
    ctl: Controller, dep: Obj, new_rs: Obj | None, created_new: bool, scaling: bool
) -> None:
    ns = meta(dep)["namespace"]
    current = ctl.store.get(DEP, ns, meta(dep)["name"])
    if current is None:
        return
    all_rs = ctl.owned(RS, ns, meta(dep)["uid"])

    def total(rs_list: list[Obj], key: str) -> int:
        return sum(int((r.get("status") or {}).get(key, 0)) for r in rs_list)

    desired = int(dep["spec"].get("replicas", 1))
    spec_total = sum(int(r["spec"].get("replicas", 0)) for r in all_rs)
    available = total(all_rs, "availableReplicas")
    new_list = [new_rs] if new_rs is not None else []
    updated = (
        sum(1 for p in ctl.owned(POD, ns, meta(new_rs)["uid"]) if is_active(p))
        if new_rs is not None
        else 0
    )
    old_status = current.get("status") or {}
    conds = list(old_status.get("conditions") or [])
    if created_new and new_rs is not None:
        # Creating the new replica set records NewReplicaSetCreated first (its own write in
        # the real controller); the rollout status below then moves on from it.
        created = _condition(
            conds,
            "Progressing",
            "True",
            "NewReplicaSetCreated",
            f'Created new replica set "{meta(new_rs)["name"]}"',
        )
        conds = _set_conditions(conds, [created])
    rolling = (dep["spec"].get("strategy") or {}).get("type") != "Recreate"
    max_unavailable = _max_unavailable(dep) if rolling else 0
    if available >= desired - max_unavailable:
        avail = _condition(
            conds,
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        )
    else:
        avail = _condition(
            conds,
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    rs_name = meta(new_rs)["name"] if new_rs is not None else ""
    complete = (
        new_rs is not None
        and updated == desired
        and available >= desired
        and total(all_rs, "replicas") == desired
    )
    if complete:
        prog = _condition(
            conds,
            "Progressing",
            "True",
            "NewReplicaSetAvailable",
            f'ReplicaSet "{rs_name}" has successfully progressed.',
        )
    elif created_new:
        prog = _condition(
            conds,
            "Progressing",
            "True",
            "NewReplicaSetCreated",
            f'Created new replica set "{rs_name}"',
        )
    else:
        prog = _condition(
            conds,
            "Progressing",
            "True",
            "ReplicaSetUpdated",
            f'ReplicaSet "{rs_name}" is progressing.',
        )
    # syncRolloutStatus leaves Progressing alone on a complete deployment (one replica set,
    # NewReplicaSetAvailable); a scaling event does not look at it at all.
    current_prog: Obj = next((c for c in conds if c.get("type") == "Progressing"), {})
    skip_progress = not created_new and (
        scaling
        or (
            current_prog.get("reason") == "NewReplicaSetAvailable"
            and total(all_rs, "replicas") == total(new_list, "replicas")
        )
    )
    status: Obj = {
        "observedGeneration": meta(dep).get("generation", 1),
        "replicas": total(all_rs, "replicas"),
        "updatedReplicas": total(new_list, "replicas"),
        "readyReplicas": total(all_rs, "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": max(spec_total - available, 0),
        "conditions": _set_conditions(conds, [avail] if skip_progress else [avail, prog]),
    }
    if old_status.get("collisionCount"):
        status["collisionCount"] = old_status["collisionCount"]
    status = {k: v for k, v in status.items() if v not in (0, None)}
    status["terminatingReplicas"] = sum(
        1
        for r in all_rs
        for p in ctl.owned(POD, ns, meta(r)["uid"])
        if meta(p).get("deletionTimestamp")
    )
    new = copy.deepcopy(current)
    new["status"] = status
    if new_rs is not None:
        rev = (meta(new_rs).get("annotations") or {}).get(REVISION)
        if rev:
            meta(new).setdefault("annotations", {})[REVISION] = rev
    if new != current:
        with ctl.api.acting("kube-controller-manager", "Update", "status"):
            ctl.api.write(DEP, new)


def _max_unavailable(dep: Obj) -> int:
    value = ((dep["spec"].get("strategy") or {}).get("rollingUpdate") or {}).get(
        "maxUnavailable", "25%"
    )
    desired = int(dep["spec"].get("replicas", 1))
    if isinstance(value, str) and value.endswith("%"):
        return desired * int(value[:-1]) // 100
    return int(value)
