"""The deployments/scale (autoscaling/v1 Scale) and */status subresources."""

from __future__ import annotations

import copy
import json
from typing import Any

from claworc_emulator.errors import bad_request, conflict, invalid, invalid_object, not_found
from claworc_emulator.object_store import Obj, meta
from claworc_emulator.patch import apply_patch
from claworc_emulator.resources import Resource, lookup
from claworc_emulator.rest_api import RestApi
from claworc_emulator.selectors import selector_string

_DEPLOYMENTS = lookup("apps", "deployments")
_SCALE = Resource("deployments/scale", "Scale", "autoscaling")


def scale_of(dep: Obj) -> Obj:
    """The autoscaling/v1 Scale of deployment ``dep``."""
    m = dep["metadata"]
    replicas = (dep.get("spec") or {}).get("replicas", 0)
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: m[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in m
        },
        "spec": {"replicas": replicas} if replicas else {},  # omitempty
        "status": {
            "replicas": (dep.get("status") or {}).get("replicas", 0),
            "selector": selector_string((dep.get("spec") or {}).get("selector")),
        },
    }


def _written(current: Obj, verb: str, body: bytes, ctype: str, kind: str) -> Obj:
    """What a subresource write asks for: ``current`` patched by ``body``, or the PUT's body."""
    if verb == "patch":
        return apply_patch(current, body, ctype, kind)
    try:
        new = json.loads(body or b"null")
    except ValueError as exc:
        raise bad_request(f"the body of the request could not be decoded: {exc}") from exc
    if not isinstance(new, dict):
        raise bad_request(f"the body of the request could not be decoded as a {kind}")
    return new


def scale_request(api: RestApi, ns: str, name: str, verb: str, body: bytes, ctype: str) -> Obj:
    """Serve ``deployments/NAME/scale`` (get, update, patch)."""
    assert _DEPLOYMENTS is not None
    try:
        dep = api.get(_DEPLOYMENTS, ns, name)
    except Exception as exc:
        raise not_found(_DEPLOYMENTS, name) from exc
    if verb == "get":
        return scale_of(dep)
    new = _written(scale_of(dep), verb, body, ctype, "Scale")
    replicas = (new.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or replicas < 0:
        err = invalid("spec.replicas", replicas, "must be greater than or equal to 0")
        raise invalid_object(_SCALE, name, [err])
    rv = (new.get("metadata") or {}).get("resourceVersion")
    dep_new = copy.deepcopy(dep)
    dep_new["spec"]["replicas"] = replicas
    if rv:
        meta(dep_new)["resourceVersion"] = rv
    # A scale write that changes nothing still writes (its managedFields entry is new).
    updated, _ = api.update(_DEPLOYMENTS, ns, name, dep_new, force=True)
    return scale_of(updated)


def status_request(
    api: RestApi, res: Resource, ns: str, name: str, verb: str, body: bytes, ctype: str
) -> Obj:
    """Serve ``NAME/status`` of ``res`` (get, update, patch: only ``status`` changes)."""
    obj = api.get(res, ns, name)
    if verb == "get":
        return obj
    new = _written(obj, verb, body, ctype, res.kind)
    rv: Any = (new.get("metadata") or {}).get("resourceVersion")
    if rv and rv != obj["metadata"]["resourceVersion"]:
        raise conflict(res, name)
    out = copy.deepcopy(obj)
    out["status"] = new.get("status") or {}
    api.validate(res, out, obj)  # (status is validated too: one place per kind)
    return api.write(res, out)
