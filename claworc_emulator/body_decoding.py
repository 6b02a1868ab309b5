"""Request bodies decoded as the apiserver decodes them, with its error messages (Go's
encoding/json wording, apimachinery's summaries of the data)."""

from __future__ import annotations

import json
from typing import Any

from claworc_emulator.errors import bad_request
from claworc_emulator.resources import Resource
from claworc_emulator.validation import parse_quantity

_FIND_KIND = (
    'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; '
    'Kind string "json:\\"kind,omitempty\\"" }'
)
QUANTITY_PATTERN = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


def go_json_error(raw: bytes) -> str | None:
    """Go's encoding/json syntax error for ``raw``, or None when it is valid JSON."""
    text = raw.decode("utf-8", errors="replace")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        rest = text[exc.pos :].strip()
        if not rest or exc.pos >= len(text.rstrip()):
            return "unexpected end of JSON input"
        ch = text[exc.pos]
        if exc.msg.startswith("Expecting property name"):
            where = "looking for beginning of object key string"
        elif exc.msg.startswith("Expecting ':'"):
            where = "after object key"
        elif exc.msg.startswith("Expecting ','"):
            where = "after object key:value pair"
        elif exc.msg.startswith("Extra data"):
            where = "after top-level value"
        else:
            where = "looking for beginning of value"
        return f"invalid character {ch!r} {where}"
    return None


def _summary(raw: bytes, limit: int = 30) -> str:
    if not raw:
        return "<empty>"
    if raw[:1] == b"{":
        text = raw[:limit].decode("utf-8", errors="replace")
        return text + " ..." if len(raw) > limit else text
    return raw[:limit].hex() + (" ..." if len(raw) > limit else "")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    return "object"


def _cannot_unmarshal(res: Resource, detail: str) -> Exception:
    return bad_request(
        f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: {detail}'
    )


_TOP_LEVEL = {
    "ConfigMap": {"data", "binaryData", "immutable"},
    "Secret": {"data", "stringData", "type", "immutable"},
    "Role": {"rules"},
    "ClusterRole": {"rules", "aggregationRule"},
    "RoleBinding": {"subjects", "roleRef"},
    "ClusterRoleBinding": {"subjects", "roleRef"},
    "ServiceAccount": {"secrets", "imagePullSecrets", "automountServiceAccountToken"},
    "Event": {
        "involvedObject",
        "reason",
        "message",
        "source",
        "firstTimestamp",
        "lastTimestamp",
        "count",
        "type",
        "eventTime",
        "series",
        "action",
        "related",
        "reportingComponent",
        "reportingInstance",
    },
}


def unknown_fields(res: Resource, body: dict[str, Any], validation: str) -> list[str]:
    """Drop the top-level fields ``res`` does not have; Strict refuses them (400), Warn (the
    default) answers with one Warning header each, Ignore says nothing."""
    known = {"apiVersion", "kind", "metadata"} | _TOP_LEVEL.get(res.kind, {"spec", "status"})
    unknown = [k for k in body if k not in known]
    if unknown and validation == "Strict":
        fields = ", ".join(f'unknown field "{k}"' for k in unknown)
        raise _cannot_unmarshal(res, f"strict decoding error: {fields}")
    for k in unknown:
        del body[k]
    if validation == "Ignore":
        return []
    return [f'299 - "unknown field \\"{k}\\""' for k in unknown]


def decode_object(res: Resource, raw: bytes) -> dict[str, Any]:
    """A create/update body: a JSON object whose typed fields have their Go types."""
    problem = go_json_error(raw) if raw.strip() else "unexpected end of JSON input"
    if problem is None:
        body = json.loads(raw)
        if not isinstance(body, dict):
            problem = (
                f"json: cannot unmarshal {_json_type(body)} into Go value of type {_FIND_KIND}"
            )
    if problem is not None:
        raise bad_request(
            f"the object provided is unrecognized (must be of type {res.kind}): couldn't get "
            f"version/kind; json parse error: {problem} ({_summary(raw)})"
        )
    out: dict[str, Any] = body
    check_types(res, out)
    return out


def _string_map(res: Resource, value: Any, struct: str, field: str) -> None:
    if isinstance(value, dict):
        for v in value.values():
            if not isinstance(v, str):
                raise _cannot_unmarshal(
                    res,
                    f"json: cannot unmarshal {_json_type(v)} into Go struct field "
                    f"{struct}.{field} of type string",
                )


def _int_field(res: Resource, value: Any, struct: str, field: str, gotype: str) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise _cannot_unmarshal(
            res,
            f"json: cannot unmarshal {_json_type(value)} into Go struct field "
            f"{struct}.{field} of type {gotype}",
        )


def _quantity(res: Resource, value: Any) -> None:
    if value is not None and isinstance(value, str) and parse_quantity(value) is None:
        raise _cannot_unmarshal(res, QUANTITY_PATTERN)


def _pod_spec_quantities(res: Resource, spec: Any) -> None:
    if not isinstance(spec, dict):
        return
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            resources = c.get("resources") if isinstance(c, dict) else None
            for part in ("requests", "limits"):
                amounts = resources.get(part) if isinstance(resources, dict) else None
                for amount in (amounts or {}).values() if isinstance(amounts, dict) else ():
                    _quantity(res, amount)
    for v in spec.get("volumes") or []:
        empty = v.get("emptyDir") if isinstance(v, dict) else None
        if isinstance(empty, dict):
            _quantity(res, empty.get("sizeLimit"))


def check_types(res: Resource, body: dict[str, Any]) -> None:
    """The decoding errors (400) of the typed fields the emulator's kinds carry."""
    spec = body.get("spec")
    if res.kind == "ConfigMap":
        _string_map(res, body.get("data"), "ConfigMap", "data")
    elif res.kind == "Secret":
        _string_map(res, body.get("stringData"), "Secret", "stringData")
    elif res.kind in ("Deployment", "ReplicaSet") and isinstance(spec, dict):
        _int_field(res, spec.get("replicas"), f"{res.kind}Spec", "spec.replicas", "int32")
        _pod_spec_quantities(res, (spec.get("template") or {}).get("spec"))
    elif res.kind == "Pod":
        _pod_spec_quantities(res, spec)
    elif res.kind == "PersistentVolumeClaim" and isinstance(spec, dict):
        requests = (spec.get("resources") or {}).get("requests")
        for amount in (requests or {}).values() if isinstance(requests, dict) else ():
            _quantity(res, amount)
