"""Kubernetes ``Status`` errors with the reasons, codes and messages the real apiserver uses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from claworc_emulator.resources import Resource

_FIELD_TYPES = {
    "FieldValueInvalid": "Invalid value",
    "FieldValueRequired": "Required value",
    "FieldValueForbidden": "Forbidden",
    "FieldValueNotSupported": "Unsupported value",
    "FieldValueDuplicate": "Duplicate value",
    "FieldValueNotFound": "Not found",
    "FieldValueTooLong": "Too long",
}
# Error types whose message does not print the offending value.
_NO_VALUE = {"FieldValueRequired", "FieldValueForbidden", "FieldValueTooLong"}


class GoRepr:
    """A value pre-rendered the way Go's ``%#v`` would print it."""

    def __init__(self, text: str) -> None:
        self.text = text


def go_quote(s: str) -> str:
    """``s`` quoted as Go's ``%q`` prints it (close enough: JSON string quoting)."""
    return json.dumps(s, ensure_ascii=False)


def go_duration(seconds: float) -> str:
    """A duration as Go prints it: 10s, 1m20s, 5m0s, 100ms."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    minutes, secs = divmod(round(seconds, 3), 60)
    text = f"{secs:g}s"
    return f"{int(minutes)}m{text}" if minutes else text


def go_value(value: Any) -> str:
    """Render a bad value like apimachinery's field.Error does."""
    if isinstance(value, GoRepr):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        value = dict(sorted(value.items()))  # a Go map: marshalled with sorted keys
    # Lists, maps and structs: JSON, as field.Error prints them since Kubernetes 1.33.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_MISSING = object()


@dataclass
class FieldError:
    """One field error of a 422 Invalid ``Status`` (a ``StatusCause``): reason, field and detail."""

    type: str  # a StatusCause reason, e.g. FieldValueInvalid
    field: str
    detail: str = ""
    value: Any = _MISSING

    def body(self) -> str:
        label = _FIELD_TYPES[self.type]
        if self.type in _NO_VALUE or self.value is _MISSING:
            text = label
        else:
            text = f"{label}: {go_value(self.value)}"
        if self.detail:
            text += f": {self.detail}"
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}"


def invalid(field: str, value: Any, detail: str) -> FieldError:
    """A ``FieldValueInvalid`` error: ``value`` at ``field`` is wrong, because ``detail``."""
    return FieldError("FieldValueInvalid", field, detail, value)


def required(field: str, detail: str = "") -> FieldError:
    """A ``FieldValueRequired`` error: ``field`` is missing."""
    return FieldError("FieldValueRequired", field, detail)


def forbidden_field(field: str, detail: str) -> FieldError:
    """A ``FieldValueForbidden`` error: ``field`` may not be set (or changed)."""
    return FieldError("FieldValueForbidden", field, detail)


def not_supported(field: str, value: Any, supported: list[str]) -> FieldError:
    """A ``FieldValueNotSupported`` error listing the ``supported`` values."""
    detail = "supported values: " + ", ".join(go_quote(s) for s in supported)
    return FieldError("FieldValueNotSupported", field, detail, value)


def duplicate(field: str, value: Any) -> FieldError:
    """A ``FieldValueDuplicate`` error: ``value`` appears twice at ``field``."""
    return FieldError("FieldValueDuplicate", field, "", value)


class ApiError(Exception):
    """An error answered as a ``Status`` object."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:  # an internal error (500) has none
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _details(res: Resource, name: str, kind: str | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if name:
        d["name"] = name
    if res.group:
        d["group"] = res.group
    d["kind"] = kind if kind is not None else res.plural
    return d


def _qualified(res: Resource, sub: str | None) -> str:
    if sub:
        return f"{res.plural}/{sub}.{res.group}" if res.group else f"{res.plural}/{sub}"
    return res.qualified


def not_found(res: Resource, name: str, sub: str | None = None) -> ApiError:
    """404 NotFound for ``name`` of ``res`` (or of its subresource ``sub``)."""
    q = _qualified(res, sub)
    d = _details(res, name, f"{res.plural}/{sub}" if sub else None)
    return ApiError(404, "NotFound", f'{q} "{name}" not found', d)


def namespace_not_found(ns: str) -> ApiError:
    """404 NotFound for namespace ``ns`` (creating in a namespace that does not exist)."""
    return ApiError(
        404, "NotFound", f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"}
    )


def already_exists(res: Resource, name: str) -> ApiError:
    """409 AlreadyExists for ``name`` of ``res``."""
    return ApiError(
        409, "AlreadyExists", f'{res.qualified} "{name}" already exists', _details(res, name)
    )


def conflict(res: Resource, name: str) -> ApiError:
    """409 Conflict: the resourceVersion sent is not the object's current one."""
    msg = (
        f'Operation cannot be fulfilled on {res.qualified} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    return ApiError(409, "Conflict", msg, _details(res, name))


def precondition_failed(res: Resource, name: str, reason: str) -> ApiError:
    """rest.BeforeDelete's 409: NewConflict on GroupResource{group, Kind} (``Deployment.apps``,
    details.kind the Kind) with ``reason`` after the name."""
    msg = f'Operation cannot be fulfilled on {res.qualified_kind} "{name}": {reason}'
    return ApiError(409, "Conflict", msg, _details(res, name, res.kind))


def invalid_object(res: Resource, name: str, errs: list[FieldError]) -> ApiError:
    """422 Invalid with every field error as a cause (repeats dropped, as the aggregate does)."""
    unique = list(dict.fromkeys(str(e) for e in errs))  # the aggregate drops repeats
    text = unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"
    d = _details(res, name, res.kind)
    d["causes"] = [{"reason": e.type, "message": e.body(), "field": e.field} for e in errs]
    return ApiError(422, "Invalid", f'{res.qualified_kind} "{name}" is invalid: {text}', d)


def forbidden(res: Resource, name: str, why: str, sub: str | None = None) -> ApiError:
    """403 Forbidden for ``name`` of ``res`` (or of subresource ``sub``), saying ``why``."""
    q = _qualified(res, sub)
    subject = f'{q} "{name}"' if name else q
    d = _details(res, name, f"{res.plural}/{sub}" if sub else None)
    return ApiError(403, "Forbidden", f"{subject} is forbidden: {why}", d)


def invalid_options(kind: str, err: FieldError) -> ApiError:
    """A refused query parameter: ``CreateOptions.meta.k8s.io "" is invalid: ...``."""
    return ApiError(
        422,
        "Invalid",
        f'{kind}.meta.k8s.io "" is invalid: {err}',
        {
            "group": "meta.k8s.io",
            "kind": kind,
            "causes": [{"reason": err.type, "message": err.body(), "field": err.field}],
        },
    )


def bad_request(message: str) -> ApiError:
    """400 BadRequest with ``message``."""
    return ApiError(400, "BadRequest", message)


def method_not_allowed() -> ApiError:
    """405 MethodNotAllowed: the verb is not served on this resource."""
    msg = "the server does not allow this method on the requested resource"
    return ApiError(405, "MethodNotAllowed", msg, {})


def not_found_path() -> ApiError:
    """404 NotFound for a path the server does not serve at all."""
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def unauthorized() -> ApiError:
    """401 Unauthorized: no or a wrong bearer token."""
    return ApiError(401, "Unauthorized", "Unauthorized")


def expired(message: str) -> ApiError:
    """410 Expired (Gone): the resourceVersion asked for is older than the watch cache holds."""
    return ApiError(410, "Expired", message)


def unsupported_media_type(content_type: str) -> ApiError:
    """415 UnsupportedMediaType for a request body the server does not decode."""
    del content_type
    return ApiError(415, "UnsupportedMediaType", "415: Unsupported Media Type", {})


def patch_rejected(cause: str) -> ApiError:
    """A JSON patch that could not be applied (NewGenericServerResponse with 422)."""
    del cause  # the real server answers without details
    return ApiError(
        422, "Invalid", "the server rejected our request due to an error in our request", {}
    )
