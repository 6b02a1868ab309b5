"""DELETE and DELETE-collection with the apiserver's rules: propagation policies,
preconditions, grace periods, finalizers and the Status or object it answers with."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from claworc_emulator.errors import ApiError, not_supported, precondition_failed
from claworc_emulator.object_store import Obj, meta
from claworc_emulator.resources import Resource
from claworc_emulator.rest_list import strip_type
from claworc_emulator.selectors import Filter

if TYPE_CHECKING:
    from claworc_emulator.rest_api import RestApi

_POLICIES = ["Foreground", "Background", "Orphan", "nil"]


def delete_object(api: RestApi, res: Resource, ns: str, name: str, opts: Obj) -> Obj:
    """DELETE one object as the apiserver does: propagation policy, preconditions, the pod's
    grace period, finalizers; answers the object (still there, or as deleted where the resource
    returns it) or a Success ``Status``.
    """
    policy = opts.get("propagationPolicy")
    if policy is None and opts.get("orphanDependents") is not None:
        policy = "Orphan" if opts["orphanDependents"] else "Background"
    if policy is not None and policy not in _POLICIES[:3]:
        ferr = not_supported("propagationPolicy", policy, _POLICIES)
        raise ApiError(
            422,
            "Invalid",
            f'DeleteOptions.meta.k8s.io "" is invalid: {ferr}',
            {
                "group": "meta.k8s.io",
                "kind": "DeleteOptions",
                "causes": [{"reason": ferr.type, "message": ferr.body(), "field": ferr.field}],
            },
        )
    obj = api.get(res, ns, name)
    m = meta(obj)
    if api.dry_run:
        return obj
    pre = opts.get("preconditions") or {}
    # rest.BeforeDelete: the uid first, then the resourceVersion; the Conflict names the
    # GroupResource{group, Kind} (``Deployment.apps``), and details.kind is the Kind.
    if pre.get("uid") and pre["uid"] != m["uid"]:
        raise precondition_failed(
            res,
            name,
            f"the UID in the precondition ({pre['uid']}) does not match the UID in record "
            f"({m['uid']}). The object might have been deleted and then recreated",
        )
    if pre.get("resourceVersion") and pre["resourceVersion"] != m["resourceVersion"]:
        raise precondition_failed(
            res,
            name,
            f"the ResourceVersion in the precondition ({pre['resourceVersion']}) does not "
            f"match the ResourceVersion in record ({m['resourceVersion']}). The object might "
            "have been modified",
        )
    ns_key = ns if res.namespaced else ""
    finalizers = list(m.get("finalizers") or [])
    if policy == "Foreground" and "foregroundDeletion" not in finalizers:
        finalizers.append("foregroundDeletion")
    if policy == "Orphan" and "orphan" not in finalizers:
        finalizers.append("orphan")
    if res.plural == "namespaces" and (obj.get("spec") or {}).get("finalizers"):
        obj.setdefault("status", {})["phase"] = "Terminating"
    grace = 0
    if res.plural == "pods":
        asked = opts.get("gracePeriodSeconds")
        if asked is None:
            asked = (obj.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
        grace = int(asked)
        phase = (obj.get("status") or {}).get("phase")
        if not (obj.get("spec") or {}).get("nodeName") or phase in ("Succeeded", "Failed"):
            grace = 0
        grace = max(int(grace), 0)
    if m.get("deletionTimestamp"):
        if res.plural == "pods" and grace == 0:
            if m.get("deletionGracePeriodSeconds"):
                # Shortening the grace period is an update first (MODIFIED, grace 0).
                m["deletionGracePeriodSeconds"] = 0  # (no managedFields entry: a delete)
                api.store.update(res, obj)
            return api.remove_now(res, ns_key, name)
        if finalizers != (m.get("finalizers") or []):
            m["finalizers"] = finalizers
            return api.write(res, obj)
        return obj
    terminating = res.plural == "namespaces" and (obj.get("spec") or {}).get("finalizers")
    if grace > 0 or finalizers or terminating:
        when = datetime.now(UTC) + timedelta(seconds=grace)
        m["deletionTimestamp"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        if res.plural != "namespaces":  # the namespace registry sets no grace period
            m["deletionGracePeriodSeconds"] = grace
        if finalizers:
            m["finalizers"] = finalizers
        if res.has_generation:
            m["generation"] = int(m.get("generation", 1)) + 1
        stored = api.store.update(res, obj)
        return copy.deepcopy(stored)
    gone = api.remove_now(res, ns_key, name)
    if res.return_deleted:
        return gone
    details: dict[str, Any] = {"name": name}
    if res.group:
        details["group"] = res.group
    details["kind"] = res.plural
    details["uid"] = m["uid"]
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }


def delete_collection(api: RestApi, res: Resource, ns: str | None, filt: Filter, opts: Obj) -> Obj:
    """DELETE every object of ``res`` in ``ns`` that ``filt`` selects; answers the list of them."""
    items = []
    for obj in list(api.store.items(res, ns)):
        if filt(obj):
            m = meta(obj)
            out = delete_object(api, res, m.get("namespace", ""), m["name"], opts)
            if out.get("kind") != "Status":
                items.append(strip_type(out))
            else:
                items.append(strip_type(obj))
    return {
        "kind": res.list_kind,
        "apiVersion": res.api_version,
        "metadata": {"resourceVersion": str(api.store.rv)},
        "items": items,
    }
