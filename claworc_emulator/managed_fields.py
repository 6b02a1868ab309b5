"""managedFields: which manager wrote which part of an object, as the apiserver records it."""

from __future__ import annotations

from typing import Any

from claworc_emulator.object_store import Obj, meta, now_rfc3339
from claworc_emulator.resources import Resource


def record_manager(
    actor: tuple[str, str, str | None] | None, res: Resource, new: Obj, old: Obj | None
) -> None:
    """Record the writer in managedFields, as the apiserver does (one entry per manager,
    operation, apiVersion and subresource). A controller's or a node's write goes to the
    status subresource when only the status changed, to the main resource otherwise."""
    manager, operation, sub = actor or ("kube-controller-manager", "Update", None)
    if not manager:  # a writer the apiserver does not track
        return
    if old is None and not _owned_fields(new):
        return  # a create that sets nothing but the name owns no fields: no entry
    m = meta(new)
    entries = [dict(e) for e in ((meta(old).get("managedFields") if old else None) or [])]
    subs: list[str] = []
    if sub is not None:
        subs = [sub]
    else:
        main_changed = old is None or _sans_status(new) != _sans_status(old)
        status_changed = old is not None and new.get("status") != old.get("status")
        if main_changed:
            subs.append("")
        if status_changed and res.has_status:
            subs.append("status")
    for one in subs:
        found = False
        # A scale write by a manager that already has a main-resource entry is folded
        # into that entry (its spec.replicas), as the recorded server shows.
        same = ("", "scale") if one == "scale" else (one,)
        for e in entries:
            if (
                e.get("manager") == manager
                and e.get("operation") == operation
                and e.get("subresource", "") in same
                and e.get("apiVersion") == res.api_version
            ):
                e["time"] = now_rfc3339()
                found = True
        if not found:
            entry: Obj = {
                "manager": manager,
                "operation": operation,
                "apiVersion": res.api_version,
                "time": now_rfc3339(),
                "fieldsType": "FieldsV1",
                "fieldsV1": {},
            }
            if one:
                entry["subresource"] = one
            entries.append(entry)
    if entries:
        m["managedFields"] = entries
    else:
        m.pop("managedFields", None)


_UNOWNED_META = {
    "name",
    "generateName",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
}


def _owned_fields(obj: Obj) -> bool:
    """Whether the object sets any field a manager can own (beyond its name)."""
    rest = {k for k, v in obj.items() if k not in ("kind", "apiVersion", "metadata", "status")}
    return bool(rest) or any(k not in _UNOWNED_META for k in (obj.get("metadata") or {}))


def _sans_status(obj: Obj) -> Obj:
    """``obj`` without its status and the metadata every write changes."""
    out = {k: v for k, v in obj.items() if k != "status"}
    out["metadata"] = {
        k: v
        for k, v in (obj.get("metadata") or {}).items()
        if k not in ("resourceVersion", "managedFields")
    }
    return out


def drop_unapplied_fields(obj: Any, before: Any, now: Any) -> Any:
    """Server-side apply: remove from ``obj`` the map keys the manager's previous applied
    configuration (``before``) set and its new one (``now``) no longer sets."""
    if not isinstance(obj, dict) or not isinstance(before, dict):
        return obj
    now = now if isinstance(now, dict) else {}
    for k, v in before.items():
        if k not in now:
            obj.pop(k, None)
        elif k in obj:
            obj[k] = drop_unapplied_fields(obj[k], v, now[k])
    return obj
