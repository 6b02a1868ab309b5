"""The generic REST semantics: create, read, update, patch, delete with apiserver rules."""

from __future__ import annotations

import copy
import json
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from claworc_emulator.body_decoding import check_types, go_json_error
from claworc_emulator.config import EmulatorConfig
from claworc_emulator.errors import (
    ApiError,
    FieldError,
    already_exists,
    bad_request,
    conflict,
    forbidden,
    invalid,
    invalid_object,
    namespace_not_found,
    not_found,
)
from claworc_emulator.kind_rules import rules_for
from claworc_emulator.managed_fields import drop_unapplied_fields, record_manager
from claworc_emulator.object_store import Obj, ObjectStore, canonical, meta, now_rfc3339
from claworc_emulator.patch import apply_patch, strategic_merge
from claworc_emulator.resources import Resource, core
from claworc_emulator.rest_delete import delete_collection, delete_object
from claworc_emulator.selectors import Filter
from claworc_emulator.service_ip_allocator import ServiceIpAllocator
from claworc_emulator.validation import validate_generate_name, validate_meta

_SYSTEM_META = (
    "uid",
    "creationTimestamp",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "namespace",
    "managedFields",
)
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def random_suffix(n: int = 5) -> str:
    """A ``generateName`` suffix: ``n`` characters of the apiserver's alphabet."""
    return "".join(random.choices(_NAME_CHARS, k=n))


class RestApi:
    """The generic REST semantics of the apiserver: create, get, update, patch, delete and
    delete-collection with resourceVersions, generations, finalizers, dry run and field managers
    (LIST, which only reads the store, is :func:`rest_list.list_objects`).
    """

    def __init__(
        self, config: EmulatorConfig, store: ObjectStore, alloc: ServiceIpAllocator
    ) -> None:
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
        record_manager(self.actor, res, new, old)

    # -- reads -----------------------------------------------------------------------------
    def get(self, res: Resource, ns: str, name: str) -> Obj:
        obj = self.store.get(res, ns if res.namespaced else "", name)
        if obj is None:
            raise not_found(res, name)
        return copy.deepcopy(obj)

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
        hooks = rules_for(res)
        errs: list[FieldError] = []
        if old is None:
            errs += validate_generate_name(obj, hooks.name_rule)
        errs += validate_meta(obj, hooks.name_rule, res.namespaced)
        errs += hooks.validate(obj, old, self)
        if errs:
            raise invalid_object(res, meta(obj).get("name") or "", errs)

    def create(self, res: Resource, ns: str, body: Any) -> Obj:
        obj = self._check_body(res, ns, body)
        hooks = rules_for(res)
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
        obj = self._check_named(res, ns, name, body)
        if res.plural == "services" and self.store.get(res, ns, name) is None:
            return self.create(res, ns, body), True
        return self._apply_update(res, obj, self.get(res, ns, name), force), False

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
        base = drop_unapplied_fields(copy.deepcopy(current), previous, config)
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
        return self._apply_update(res, self._check_named(res, ns, name, patched), old)

    def _check_named(self, res: Resource, ns: str, name: str, body: Any) -> Obj:
        """``body`` checked as the new state of object ``name`` (a PUT's body or a patch's
        result): its name must be the one on the URL; the kind's decoding checks run."""
        obj = self._check_body(res, ns, body)
        m = meta(obj)
        if m.get("name") != name:
            raise bad_request(
                f"the name of the object ({m.get('name', '')}) does not match the "
                f"name on the URL ({name})"
            )
        rules_for(res).decode(obj)
        return obj

    def _apply_update(self, res: Resource, new: Obj, old: Obj, force: bool = False) -> Obj:
        hooks = rules_for(res)
        m, om = meta(new), meta(old)
        if m.get("resourceVersion") and m["resourceVersion"] != om["resourceVersion"]:
            raise conflict(res, m["name"])  # (optimistic concurrency: a stale write)
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
        """ObjectStore an already validated object: no-op updates keep the resourceVersion."""
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
            self.remove_now(res, ns, m["name"])
            out = copy.deepcopy(new)
            meta(out)["resourceVersion"] = meta(current)["resourceVersion"]
            meta(out).pop("finalizers", None)
            return canonical(out)
        self._manage(res, new, current)
        stored = self.store.update(res, new)
        rules_for(res).committed(stored, current, self)
        return copy.deepcopy(stored)

    def remove_now(self, res: Resource, ns: str, name: str) -> Obj:
        """Delete at once, without grace period or finalizers, and tell the kind's rules."""
        old = self.store.get(res, ns, name)
        gone = self.store.delete(res, ns, name)
        rules_for(res).committed(None, old, self)
        return copy.deepcopy(gone)

    # -- delete ----------------------------------------------------------------------------
    def delete(self, res: Resource, ns: str, name: str, opts: Obj) -> Obj:
        """DELETE one object; see :func:`rest_delete.delete_object`."""
        return delete_object(self, res, ns, name, opts)

    def delete_collection(self, res: Resource, ns: str | None, filt: Filter, opts: Obj) -> Obj:
        """DELETE every object of ``res`` in ``ns`` that ``filt`` selects."""
        return delete_collection(self, res, ns, filt, opts)


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


def _same(a: Obj, b: Obj) -> bool:
    a2, b2 = dict(a), dict(b)
    a2["metadata"] = {k: v for k, v in (a.get("metadata") or {}).items() if k != "resourceVersion"}
    b2["metadata"] = {k: v for k, v in (b.get("metadata") or {}).items() if k != "resourceVersion"}
    return a2 == b2
