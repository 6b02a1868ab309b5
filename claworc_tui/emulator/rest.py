"""The generic REST semantics: create, read, update, patch, delete with apiserver rules."""

from __future__ import annotations

import base64
import copy
import json
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from .alloc import Allocator
from .config import EmulatorConfig
from .decoding import check_types, go_json_error
from .errors import (
    ApiError,
    FieldError,
    already_exists,
    bad_request,
    conflict,
    expired,
    forbidden,
    forbidden_field,
    invalid,
    invalid_object,
    invalid_options,
    namespace_not_found,
    not_found,
    not_supported,
    precondition_failed,
)
from .kinds import hooks_for
from .patch import apply_patch, strategic_merge
from .resources import Resource, core
from .selectors import Filter
from .store import Obj, Store, canonical, meta, now_rfc3339
from .validation import validate_generate_name, validate_meta

_SYSTEM_META = (
    "uid",
    "creationTimestamp",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "namespace",
    "managedFields",
)
_POLICIES = ["Foreground", "Background", "Orphan", "nil"]
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def random_suffix(n: int = 5) -> str:
    return "".join(random.choices(_NAME_CHARS, k=n))


def strip_type(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


class Api:
    def __init__(self, config: EmulatorConfig, store: Store, alloc: Allocator) -> None:
        self.config = config
        self.store = store
        self.alloc = alloc
        self.dry_run = False  # set by the HTTP layer for one ?dryRun=All request
        # Server-side apply: the configuration each manager last applied to each object.
        self.applied: dict[tuple[str, str, str, str], Obj] = {}
        # Who writes: (manager, operation, subresource). The HTTP layer sets it per request
        # (subresource "" = the main resource); None = a controller of kube-controller-manager.
        self.actor: tuple[str, str, str | None] | None = None

    @contextmanager
    def acting(
        self, manager: str, operation: str = "Update", subresource: str | None = None
    ) -> Iterator[None]:
        saved, self.actor = self.actor, (manager, operation, subresource)
        try:
            yield
        finally:
            self.actor = saved

    def _manage(self, res: Resource, new: Obj, old: Obj | None) -> None:
        """Record the writer in managedFields, as the apiserver does (one entry per manager,
        operation, apiVersion and subresource). A controller's or a node's write goes to the
        status subresource when only the status changed, to the main resource otherwise."""
        manager, operation, sub = self.actor or ("kube-controller-manager", "Update", None)
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

    # -- reads -----------------------------------------------------------------------------
    def get(self, res: Resource, ns: str, name: str) -> Obj:
        obj = self.store.get(res, ns if res.namespaced else "", name)
        if obj is None:
            raise not_found(res, name)
        return copy.deepcopy(obj)

    def list(
        self,
        res: Resource,
        ns: str | None,
        filt: Filter,
        limit: int = 0,
        cont: str = "",
        rv: str = "",
        match: str = "",
    ) -> Obj:
        at = self._list_rv(rv, match)
        source = self.store.items(res, ns) if at is None else self.store.items_at(res, ns, at)
        start: tuple[str, ...] = ()
        list_meta: dict[str, Any] = {"resourceVersion": str(self.store.rv if at is None else at)}
        if cont:
            try:
                token = json.loads(base64.b64decode(cont))
                start, token_rv = tuple(token["start"]), int(token["rv"])
            except (ValueError, KeyError, TypeError) as exc:
                raise bad_request(f"invalid continue token: {exc}") from exc
            if self.store.too_old(token_rv):
                raise expired(
                    "The provided continue parameter is too old to display a consistent list "
                    "result. You can start a new list without the continue parameter, or use the "
                    "continue token in this response to retrieve the remainder of the results. "
                    "Continuing with the provided token results in an inconsistent list - objects "
                    "that were created, modified, or deleted between the time the first chunk "
                    "was returned and now may show up in the list."
                )
            # A continued list is consistent: the state at the first page's resourceVersion.
            at = token_rv
            source = self.store.items_at(res, ns, at)
            list_meta["resourceVersion"] = str(at)
        after = [o for o in source if _key(o) > start]
        items = [o for o in after if filt(o)]
        if limit and len(items) >= limit and _key(items[limit - 1]) < _key(after[-1]):
            # More keys follow in storage (matching the selectors or not, as etcd sees it).
            rest = len(items) - limit
            items = items[:limit]
            token = {"rv": self.store.rv if at is None else at, "start": list(_key(items[-1]))}
            list_meta["continue"] = base64.b64encode(json.dumps(token).encode()).decode()
            if not filt.labels and not filt.fields:  # unknowable with a selector
                list_meta["remainingItemCount"] = rest
        return {
            "kind": res.list_kind,
            "apiVersion": res.api_version,
            "metadata": list_meta,
            "items": [strip_type(copy.deepcopy(o)) for o in items],
        }

    def _list_rv(self, rv: str, match: str) -> int | None:
        """The resourceVersion a LIST is served at (None = the latest), with the apiserver's
        checks of resourceVersion and resourceVersionMatch."""
        if match not in ("", "Exact", "NotOlderThan"):
            raise invalid_options(
                "ListOptions",
                not_supported("resourceVersionMatch", match, ["Exact", "NotOlderThan", ""]),
            )
        if match and not rv:
            raise invalid_options(
                "ListOptions",
                forbidden_field(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                ),
            )
        if match == "Exact" and rv == "0":
            raise invalid_options(
                "ListOptions",
                forbidden_field(
                    "resourceVersionMatch",
                    'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
                ),
            )
        if not rv:
            return None
        if not rv.isdigit():
            raise bad_request(
                f'invalid resource version: resourceVersion: Invalid value: "{rv}": '
                f'strconv.ParseUint: parsing "{rv}": invalid syntax'
            )
        number = int(rv)
        if number > self.store.rv:
            raise ApiError(
                504,
                "Timeout",
                f"Timeout: Too large resource version: {number}, current: {self.store.rv}",
                {
                    "causes": [
                        {
                            "reason": "ResourceVersionTooLarge",
                            "message": "Too large resource version",
                        }
                    ],
                    "retryAfterSeconds": 1,
                },
                {"Retry-After": "1"},
            )
        if match != "Exact":
            return None  # NotOlderThan, or 0: the latest state satisfies it
        if self.store.too_old(number):
            raise expired("The resourceVersion for the provided list is too old.")
        return number

    # -- create ----------------------------------------------------------------------------
    def _check_body(self, res: Resource, ns: str, body: Any) -> Obj:
        if not isinstance(body, dict):
            raise bad_request(f"the body of the request could not be decoded as a {res.kind}")
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if api_version and api_version != res.api_version:
            raise bad_request(
                f"the API version in the data ({api_version}) does not match the "
                f"expected API version ({res.api_version})"
            )
        if kind and kind != res.kind:
            raise bad_request(
                f"the kind in the data ({kind}) does not match the expected kind ({res.kind})"
            )
        obj = copy.deepcopy(body)
        m = obj.get("metadata")
        if m is None:
            m = obj["metadata"] = {}
        if not isinstance(m, dict):
            raise bad_request("metadata must be an object")
        if res.namespaced:
            if m.get("namespace") and m["namespace"] != ns:
                raise bad_request(
                    "the namespace of the provided object does not match the "
                    "namespace sent on the request"
                )
            m["namespace"] = ns
        else:
            m.pop("namespace", None)
        return obj

    def _check_namespace(self, res: Resource, ns: str, creating: bool, name: str = "") -> None:
        if not res.namespaced:
            return
        nso = self.store.get(core("namespaces"), "", ns)
        if nso is None:
            raise namespace_not_found(ns)
        if creating and (nso.get("metadata") or {}).get("deletionTimestamp"):
            err = forbidden(
                res,
                name,
                f"unable to create new content in namespace {ns} because it is being terminated",
            )
            assert err.details is not None
            err.details["causes"] = [
                {
                    "reason": "NamespaceTerminating",
                    "message": f"namespace {ns} is being terminated",
                    "field": "metadata.namespace",
                }
            ]
            raise err

    def validate(self, res: Resource, obj: Obj, old: Obj | None) -> None:
        """The kind's validation (422 Invalid), for writes through subresources too."""
        self._validate(res, obj, old)

    def _validate(self, res: Resource, obj: Obj, old: Obj | None) -> None:
        hooks = hooks_for(res)
        errs: list[FieldError] = []
        if old is None:
            errs += validate_generate_name(obj, hooks.name_rule)
        errs += validate_meta(obj, hooks.name_rule, res.namespaced)
        errs += hooks.validate(obj, old, self)
        if errs:
            raise invalid_object(res, meta(obj).get("name") or "", errs)

    def create(self, res: Resource, ns: str, body: Any) -> Obj:
        obj = self._check_body(res, ns, body)
        hooks = hooks_for(res)
        hooks.decode(obj)
        m = meta(obj)
        if m.get("resourceVersion"):
            raise ApiError(
                500,
                "InternalError",
                "Internal error occurred: resourceVersion should "
                "not be set on objects to be created",
                {
                    "causes": [
                        {"message": "resourceVersion should not be set on objects to be created"}
                    ]
                },
            )
        for key in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "selfLink",
            "managedFields",
        ):
            m.pop(key, None)
        if not m.get("name") and m.get("generateName"):
            for _ in range(100):
                m["name"] = m["generateName"] + random_suffix()
                if self.store.get(res, ns if res.namespaced else "", m["name"]) is None:
                    break
        if res.has_status:
            obj["status"] = {}
        hooks.default(obj)
        self._check_namespace(res, ns, creating=True, name=m.get("name") or "")
        hooks.prepare_create(obj, self)
        self._validate(res, obj, None)
        if self.store.get(res, ns if res.namespaced else "", m["name"]) is not None:
            raise already_exists(res, m["name"])
        hooks.admit(obj, None, self)
        if self.dry_run:
            obj["apiVersion"], obj["kind"] = res.api_version, res.kind
            m["uid"] = str(uuid.uuid4())
            m["creationTimestamp"] = now_rfc3339()
            if res.has_generation:
                m["generation"] = 1
            return obj
        self._manage(res, obj, None)
        stored = self.store.create(res, obj)
        hooks.committed(stored, None, self)
        return copy.deepcopy(stored)

    # -- update / patch --------------------------------------------------------------------
    def update(
        self, res: Resource, ns: str, name: str, body: Any, force: bool = False
    ) -> tuple[Obj, bool]:
        """PUT: the stored object and whether it was created (a Service is created by an
        update of a missing one; other kinds answer 404)."""
        obj = self._check_body(res, ns, body)
        m = meta(obj)
        if m.get("name") != name:
            raise bad_request(
                f"the name of the object ({m.get('name', '')}) does not match the "
                f"name on the URL ({name})"
            )
        hooks_for(res).decode(obj)
        if res.plural == "services" and self.store.get(res, ns, name) is None:
            return self.create(res, ns, body), True
        old = self.get(res, ns, name)
        if m.get("resourceVersion") and m["resourceVersion"] != meta(old)["resourceVersion"]:
            raise conflict(res, name)
        return self._apply_update(res, obj, old, force), False

    def apply(self, res: Resource, ns: str, name: str, body: bytes) -> tuple[Obj, bool]:
        """Server-side apply, simplified: the manager's applied configuration is merged into
        the object (creating it when missing); fields it applied before and leaves out now
        are removed. Returns the object and whether it was created."""
        problem = go_json_error(body) if body.strip() else "unexpected end of JSON input"
        config = json.loads(body) if problem is None else None
        if not isinstance(config, dict):
            raise bad_request(f"error decoding YAML: {problem or 'not an object'}")
        manager = self.actor[0] if self.actor else ""
        key = (res.plural, ns if res.namespaced else "", name, manager)
        current = self.store.get(res, ns if res.namespaced else "", name)
        if current is None:
            created = self.create(res, ns, copy.deepcopy(config))
            self.applied[key] = config
            return created, True
        previous = self.applied.get(key, {})
        base = _drop_fields(copy.deepcopy(current), previous, config)
        patched = strategic_merge(base, config, (), res.kind)
        self.applied[key] = config
        return self._patched(res, ns, name, patched, copy.deepcopy(current)), False

    def patch(self, res: Resource, ns: str, name: str, body: bytes, ctype: str) -> Obj:
        old = self.get(res, ns, name)
        patched = apply_patch(old, body, ctype, res.kind)
        try:
            check_types(res, patched)
        except ApiError as err:
            # A patch whose result does not decode: 422 on the field "patch", quoting the
            # patched object and the decoding error.
            detail = err.message.split(": ", 1)[-1]
            ferr = invalid("patch", json.dumps(patched, separators=(",", ":")), detail)
            raise ApiError(
                422,
                "Invalid",
                f' "" is invalid: {ferr}',
                {"causes": [{"reason": ferr.type, "message": ferr.body(), "field": ferr.field}]},
            ) from err
        return self._patched(res, ns, name, patched, old)

    def _patched(self, res: Resource, ns: str, name: str, patched: Obj, old: Obj) -> Obj:
        check_types(res, patched)
        uid = (patched.get("metadata") or {}).get("uid")
        if uid and uid != meta(old)["uid"]:
            err = invalid("metadata.uid", uid, "field is immutable")
            raise invalid_object(res, name, [err, err])
        new = self._check_body(res, ns, patched)
        m = meta(new)
        if m.get("name") != name:
            raise bad_request(
                f"the name of the object ({m.get('name', '')}) does not match the "
                f"name on the URL ({name})"
            )
        hooks_for(res).decode(new)
        if m.get("resourceVersion") and m["resourceVersion"] != meta(old)["resourceVersion"]:
            raise conflict(res, name)
        return self._apply_update(res, new, old)

    def _apply_update(self, res: Resource, new: Obj, old: Obj, force: bool = False) -> Obj:
        hooks = hooks_for(res)
        m, om = meta(new), meta(old)
        for key in _SYSTEM_META:
            if key in om:
                m[key] = om[key]
            else:
                m.pop(key, None)
        m["resourceVersion"] = om["resourceVersion"]
        new["apiVersion"], new["kind"] = res.api_version, res.kind
        if res.has_status:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        _omit_empty_maps(new)
        hooks.default(new)
        hooks.prepare_update(new, old, self)
        if res.has_generation and new.get("spec") != old.get("spec"):
            m["generation"] = int(om.get("generation", 1)) + 1
        self._validate(res, new, old)
        hooks.admit(new, old, self)
        return self.write(res, new, old, force)

    def write(self, res: Resource, new: Obj, old: Obj | None = None, force: bool = False) -> Obj:
        """Store an already validated object: no-op updates keep the resourceVersion."""
        m = meta(new)
        ns = m.get("namespace", "") if res.namespaced else ""
        current = self.store.get(res, ns, m["name"])
        if current is None:
            raise not_found(res, m["name"])
        old = current if old is None else old
        if (_same(new, current) and not force) or self.dry_run:
            if self.dry_run:
                return copy.deepcopy(new)
            return copy.deepcopy(current)
        if (
            m.get("deletionTimestamp")
            and not m.get("finalizers")
            and not m.get("deletionGracePeriodSeconds")
            and not (new.get("spec") or {}).get("finalizers")  # (a namespace's own list)
        ):
            # The last finalizer went: the object is deleted; the answer is the object as
            # written (at the resourceVersion it had).
            self._remove(res, ns, m["name"])
            out = copy.deepcopy(new)
            meta(out)["resourceVersion"] = meta(current)["resourceVersion"]
            meta(out).pop("finalizers", None)
            return canonical(out)
        self._manage(res, new, current)
        stored = self.store.update(res, new)
        hooks_for(res).committed(stored, current, self)
        return copy.deepcopy(stored)

    def _remove(self, res: Resource, ns: str, name: str) -> Obj:
        old = self.store.get(res, ns, name)
        gone = self.store.delete(res, ns, name)
        hooks_for(res).committed(None, old, self)
        return copy.deepcopy(gone)

    # -- delete ----------------------------------------------------------------------------
    def delete(self, res: Resource, ns: str, name: str, opts: Obj) -> Obj:
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
        obj = self.get(res, ns, name)
        m = meta(obj)
        if self.dry_run:
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
                    self.store.update(res, obj)
                return self._remove(res, ns_key, name)
            if finalizers != (m.get("finalizers") or []):
                m["finalizers"] = finalizers
                return self.write(res, obj)
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
            stored = self.store.update(res, obj)
            return copy.deepcopy(stored)
        gone = self._remove(res, ns_key, name)
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

    def delete_collection(self, res: Resource, ns: str | None, filt: Filter, opts: Obj) -> Obj:
        items = []
        for obj in list(self.store.items(res, ns)):
            if filt(obj):
                m = meta(obj)
                out = self.delete(res, m.get("namespace", ""), m["name"], opts)
                if out.get("kind") != "Status":
                    items.append(strip_type(out))
                else:
                    items.append(strip_type(obj))
        return {
            "kind": res.list_kind,
            "apiVersion": res.api_version,
            "metadata": {"resourceVersion": str(self.store.rv)},
            "items": items,
        }


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


def _omit_empty_maps(obj: Obj) -> None:
    """Go's omitempty: empty labels/annotations maps are not stored (a patch that removes the
    last annotation leaves no ``annotations: {}``)."""
    template = (obj.get("spec") or {}).get("template")
    for m in (
        obj.get("metadata"),
        template.get("metadata") if isinstance(template, dict) else None,
    ):
        if isinstance(m, dict):
            for key in ("labels", "annotations"):
                if m.get(key) == {}:
                    del m[key]


def _drop_fields(obj: Any, before: Any, now: Any) -> Any:
    """Remove from ``obj`` the map keys ``before`` set and ``now`` no longer sets."""
    if not isinstance(obj, dict) or not isinstance(before, dict):
        return obj
    now = now if isinstance(now, dict) else {}
    for k, v in before.items():
        if k not in now:
            obj.pop(k, None)
        elif k in obj:
            obj[k] = _drop_fields(obj[k], v, now[k])
    return obj


def _sans_status(obj: Obj) -> Obj:
    out = {k: v for k, v in obj.items() if k != "status"}
    out["metadata"] = {
        k: v
        for k, v in (obj.get("metadata") or {}).items()
        if k not in ("resourceVersion", "managedFields")
    }
    return out


def _key(obj: Obj) -> tuple[str, str]:
    m = obj.get("metadata") or {}
    return (m.get("namespace", ""), m.get("name", ""))


def _same(a: Obj, b: Obj) -> bool:
    a2, b2 = dict(a), dict(b)
    a2["metadata"] = {k: v for k, v in (a.get("metadata") or {}).items() if k != "resourceVersion"}
    b2["metadata"] = {k: v for k, v in (b.get("metadata") or {}).items() if k != "resourceVersion"}
    return a2 == b2
