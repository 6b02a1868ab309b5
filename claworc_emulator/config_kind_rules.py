"""Defaulting and validation of Secrets, ConfigMaps, PersistentVolumeClaims and Namespaces."""

from __future__ import annotations

import base64
import binascii
import copy
import difflib
import json
from typing import Any

from claworc_emulator.errors import (
    FieldError,
    bad_request,
    forbidden,
    forbidden_field,
    invalid,
    not_supported,
    required,
)
from claworc_emulator.kind_rules import KindRules, RulesContext
from claworc_emulator.resources import core
from claworc_emulator.validation import canonical_quantity, config_key, parse_quantity

Obj = dict[str, Any]


def _b64_error(value: str) -> int | None:
    """Index Go's base64.StdEncoding reports for invalid input, or None when valid."""
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    stripped = [(i, ch) for i, ch in enumerate(value) if ch not in "\r\n"]
    for pos, (i, ch) in enumerate(stripped):
        if ch == "=":
            rest = "".join(c for _, c in stripped[pos:])
            if pos % 4 < 2 or rest not in ("=", "==")[: 4 - pos % 4] or len(stripped) % 4:
                return i
            break
        if ch not in alphabet:
            return i
    if len(stripped) % 4:
        return stripped[len(stripped) - len(stripped) % 4][0]
    try:
        base64.b64decode("".join(c for _, c in stripped), validate=True)
    except binascii.Error:
        return 0
    return None


def _validate_keys(obj: Obj, fields: tuple[str, ...]) -> list[FieldError]:
    errs: list[FieldError] = []
    for field in fields:
        others = [f for f in fields if f != field]
        for key in obj.get(field) or {}:
            errs += [invalid(f"{field}[{key}]", key, m) for m in config_key(key)]
            if field == "data":  # (validation reports a collision on the data side)
                for other in others:
                    if key in (obj.get(other) or {}):
                        errs.append(
                            invalid(f"{field}[{key}]", key, f"duplicate of key present in {other}")
                        )
    return errs


def _immutable_data(obj: Obj, old: Obj | None, fields: tuple[str, ...]) -> list[FieldError]:
    if old is None or not old.get("immutable"):
        return []
    errs = []
    for field in fields:
        if (obj.get(field) or {}) != (old.get(field) or {}):
            errs.append(forbidden_field(field, "field is immutable when `immutable` is set"))
    if obj.get("immutable") is not True:
        errs.append(forbidden_field("immutable", "field is immutable when `immutable` is set"))
    return errs


_MAX_SIZE = 1024 * 1024  # values only: keys do not count


def _too_long(field: str) -> FieldError:
    return FieldError("FieldValueTooLong", field, f"may not be more than {_MAX_SIZE} bytes")


class SecretRules(KindRules):
    """core/v1 Secret: base64 ``data`` checked while decoding, key names, the 1 MiB limit and
    ``immutable``."""

    def decode(self, obj: Obj) -> None:
        data = obj.get("data") or {}
        for value in data.values():
            pos = _b64_error(value) if isinstance(value, str) else 0
            if pos is not None:
                raise bad_request(
                    'Secret in version "v1" cannot be handled as a Secret: '
                    f"illegal base64 data at input byte {pos}"
                )
        string_data = obj.pop("stringData", None)
        if isinstance(string_data, dict) and string_data:
            data = obj.setdefault("data", {}) or {}
            obj["data"] = data
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()

    def default(self, obj: Obj) -> None:
        obj.setdefault("type", "Opaque")

    def validate(self, obj: Obj, old: Obj | None, ctx: RulesContext) -> list[FieldError]:
        errs = _validate_keys(obj, ("data",))
        size = sum(len(base64.b64decode(v)) for v in (obj.get("data") or {}).values())
        if size > _MAX_SIZE:
            errs.append(_too_long("data"))
        if old is not None and obj.get("type") != old.get("type"):
            errs.append(invalid("type", obj.get("type"), "field is immutable"))
        return errs + _immutable_data(obj, old, ("data",))


class ConfigMapRules(KindRules):
    """core/v1 ConfigMap: key names, the 1 MiB limit and ``immutable``."""

    def validate(self, obj: Obj, old: Obj | None, ctx: RulesContext) -> list[FieldError]:
        errs = _validate_keys(obj, ("data", "binaryData"))
        size = sum(len(v.encode()) for v in (obj.get("data") or {}).values())
        size += sum(len(base64.b64decode(v)) for v in (obj.get("binaryData") or {}).values())
        if size > _MAX_SIZE:
            errs.append(_too_long("[]"))
        return errs + _immutable_data(obj, old, ("data", "binaryData"))


def _go_spec(spec: Obj, requests: Any) -> Obj:
    """A PVC spec as Go's internal struct marshals it (field names, nil as null)."""
    resources = spec.get("resources") or {}
    return {
        "AccessModes": spec.get("accessModes"),
        "Selector": spec.get("selector"),
        "Resources": {
            "Limits": resources.get("limits"),
            "Requests": dict(sorted(requests.items())) if isinstance(requests, dict) else None,
        },
        "VolumeName": spec.get("volumeName", ""),
        "StorageClassName": spec.get("storageClassName"),
        "VolumeMode": spec.get("volumeMode"),
        "DataSource": spec.get("dataSource"),
        "DataSourceRef": spec.get("dataSourceRef"),
        "VolumeAttributesClassName": spec.get("volumeAttributesClassName"),
    }


def _spec_diff(old: Obj, new: Obj, bound: bool) -> str:
    """The unified diff the apiserver appends to the immutability error (the requests it
    allows to change are taken from the new spec on both sides)."""
    requests = (new.get("resources") or {}).get("requests")
    old_requests = requests if bound else (old.get("resources") or {}).get("requests")
    before = json.dumps(_go_spec(old, old_requests), indent=1).split("\n")
    after = json.dumps(_go_spec(new, requests), indent=1).split("\n")
    lines = list(difflib.unified_diff(before, after, n=3, lineterm=""))[2:]
    return "".join(line + "\n" for line in lines)


_PVC_IMMUTABLE = (
    "spec is immutable after creation except resources.requests and "
    "volumeAttributesClassName for bound claims"
)
_RESIZE_DENIED = (
    "only dynamically provisioned pvc can be resized and the storageclass that "
    "provisions the pvc must support resize"
)


def _storage(obj: Obj) -> Any:
    return (((obj.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")


_ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]


class PvcRules(KindRules):
    """core/v1 PersistentVolumeClaim: canonical quantities, immutable spec, resize only upward
    when the StorageClass allows it.
    """

    def default(self, obj: Obj) -> None:
        obj.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
        requests = (obj["spec"].get("resources") or {}).get("requests")
        if isinstance(requests, dict):
            for name, amount in requests.items():
                requests[name] = canonical_quantity(amount)

    def prepare_create(self, obj: Obj, ctx: RulesContext) -> None:
        obj["spec"].setdefault("storageClassName", "standard")
        finalizers = obj["metadata"].setdefault("finalizers", [])
        if "kubernetes.io/pvc-protection" not in finalizers:
            finalizers.append("kubernetes.io/pvc-protection")
        obj["status"] = {"phase": "Pending"}

    def prepare_update(self, new: Obj, old: Obj, ctx: RulesContext) -> None:
        spec, old_spec = new.setdefault("spec", {}), old.get("spec") or {}
        for key in ("volumeName", "storageClassName"):
            if key in old_spec and not spec.get(key):
                spec[key] = old_spec[key]

    def validate(self, obj: Obj, old: Obj | None, ctx: RulesContext) -> list[FieldError]:
        spec = obj.get("spec") or {}
        errs: list[FieldError] = []
        modes = spec.get("accessModes")
        if not modes:
            errs.append(required("spec.accessModes", "at least 1 access mode is required"))
        for mode in modes or []:
            if mode not in _ACCESS_MODES:
                errs.append(not_supported("spec.accessModes", mode, _ACCESS_MODES))
        if spec.get("volumeMode") not in ("Block", "Filesystem"):
            errs.append(
                not_supported("spec.volumeMode", spec.get("volumeMode"), ["Block", "Filesystem"])
            )
        storage = _storage(obj)
        if storage is None:
            errs.append(required("spec.resources[storage]"))
        elif (parse_quantity(storage) or 0) <= 0:
            errs.append(invalid("spec.resources[storage]", storage, "must be greater than zero"))
        if old is None:
            return errs
        new_spec = copy.deepcopy(spec)
        old_spec = copy.deepcopy(old.get("spec") or {})
        bound = (old.get("status") or {}).get("phase") == "Bound"
        if bound:
            for s in (new_spec, old_spec):
                (s.get("resources") or {}).pop("requests", None)
        if new_spec != old_spec:
            diff = _spec_diff(old.get("spec") or {}, spec, bound)
            errs.append(forbidden_field("spec", f"{_PVC_IMMUTABLE}\n{diff}"))
        elif bound:
            capacity = ((old.get("status") or {}).get("capacity") or {}).get("storage")
            new_q, old_q = parse_quantity(_storage(obj)), parse_quantity(capacity)
            if new_q is not None and old_q is not None and new_q < old_q:
                errs.append(
                    forbidden_field(
                        "spec.resources.requests.storage",
                        "field can not be less than status.capacity",
                    )
                )
        return errs

    def admit(self, obj: Obj, old: Obj | None, ctx: RulesContext) -> None:
        if old is None or ctx.config.pvc_expandable:
            return
        new_q, old_q = parse_quantity(_storage(obj)), parse_quantity(_storage(old))
        if new_q is not None and old_q is not None and new_q > old_q:
            raise forbidden(core("persistentvolumeclaims"), obj["metadata"]["name"], _RESIZE_DENIED)


class NamespaceRules(KindRules):
    """core/v1 Namespace: the ``kubernetes`` finalizer and the ``kubernetes.io/metadata.name``
    label."""

    name_rule = "label"

    def default(self, obj: Obj) -> None:
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        labels = obj.setdefault("metadata", {}).setdefault("labels", {})
        labels["kubernetes.io/metadata.name"] = obj["metadata"].get("name", "")

    def prepare_create(self, obj: Obj, ctx: RulesContext) -> None:
        obj["status"] = {"phase": "Active"}
