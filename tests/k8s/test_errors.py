"""Status bodies and transport failures mapped to our exceptions (pure)."""

from __future__ import annotations

import json

import aiohttp

from claworc_tui.k8s import errors as e
from claworc_tui.models.errors import ClaworcError


def status(code: int, reason: str, message: str, **details: object) -> bytes:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
        "details": details,
    }
    return json.dumps(body).encode()


def test_forbidden_names_verb_resource_and_namespace() -> None:
    msg = (
        'pods "x" is forbidden: User "system:serviceaccount:claworc:claworc-tui" cannot '
        'delete resource "pods" in API group "" in the namespace "claworc"'
    )
    err = e.error_from_status(403, status(403, "Forbidden", msg), verb="get", resource="x")
    assert isinstance(err, e.KubeForbidden)
    assert isinstance(err, ClaworcError)
    assert (err.verb, err.resource, err.namespace) == ("delete", "pods", "claworc")
    assert err.user == "system:serviceaccount:claworc:claworc-tui"
    assert err.group == ""
    assert str(err) == msg
    assert err.status == 403


def test_forbidden_at_cluster_scope() -> None:
    msg = (
        'nodes is forbidden: User "u" cannot list resource "nodes" in API group "" '
        "at the cluster scope"
    )
    err = e.error_from_status(403, status(403, "Forbidden", msg), namespace="claworc")
    assert isinstance(err, e.KubeForbidden)
    assert (err.verb, err.resource, err.namespace) == ("list", "nodes", None)


def test_invalid_port_conflict() -> None:
    msg = (
        'Service "bot-b-vnc" is invalid: spec.ports[0].nodePort: Invalid value: 30100: '
        "provided port is already allocated"
    )
    cause = {
        "reason": "FieldValueInvalid",
        "message": "Invalid value: 30100: provided port is already allocated",
        "field": "spec.ports[0].nodePort",
    }
    err = e.error_from_status(422, status(422, "Invalid", msg, causes=[cause]))
    assert isinstance(err, e.KubeInvalid)
    assert err.port_conflict
    assert err.taken_ports == [30100]
    assert err.causes == [("spec.ports[0].nodePort", cause["message"])]


def test_conflict_and_already_exists() -> None:
    exists = e.error_from_status(409, status(409, "AlreadyExists", 'secrets "a" already exists'))
    conflict = e.error_from_status(409, status(409, "Conflict", "the object has been modified"))
    assert isinstance(exists, e.KubeAlreadyExists)
    assert type(conflict) is e.KubeConflict


def test_simple_codes() -> None:
    assert isinstance(e.error_from_status(404, status(404, "NotFound", "nf")), e.KubeNotFound)
    assert isinstance(e.error_from_status(410, status(410, "Expired", "old")), e.KubeGone)
    assert isinstance(e.error_from_status(401, b"Unauthorized"), e.KubeUnauthorized)
    assert isinstance(e.error_from_status(503, b""), e.KubeServerError)
    assert isinstance(e.error_from_status(504, b""), e.KubeTimeout)
    assert isinstance(e.error_from_status(400, status(400, "BadRequest", "x")), e.KubeBadRequest)
    assert str(e.error_from_status(401, b"Unauthorized")) == "Unauthorized"
    assert str(e.error_from_status(500, None)) == "HTTP 500 from the API server"


def test_too_many_requests_retry_after() -> None:
    body = status(429, "TooManyRequests", "slow down", retryAfterSeconds=3)
    err = e.error_from_status(429, body, {"Retry-After": "2"})
    assert isinstance(err, e.KubeTooManyRequests)
    assert err.retry_after == 2.0
    err = e.error_from_status(429, body, {})
    assert isinstance(err, e.KubeTooManyRequests)
    assert err.retry_after == 3.0


def test_unreachable_names_the_url() -> None:
    exc = aiohttp.ServerDisconnectedError()
    err = e.error_from_transport(exc, "https://10.0.0.1:6443", verb="list", resource="pods")
    assert isinstance(err, e.KubeUnreachable)
    assert "https://10.0.0.1:6443" in str(err)
    assert err.server_url == "https://10.0.0.1:6443"
    assert err.call == "list pods"
    timeout = e.error_from_transport(TimeoutError(), "https://h")
    assert isinstance(timeout, e.KubeTimeout)
    assert "https://h" in str(timeout)


def test_repr_is_short_and_safe() -> None:
    err = e.error_from_status(
        404, status(404, "NotFound", "nf"), verb="get", resource="secrets", name="a-keys"
    )
    assert repr(err) == "KubeNotFound(status=404, reason='NotFound', call='get secrets/a-keys')"
