"""Kubernetes failures as our own exceptions, carrying the API server's own message.

The API server answers a failed call with a ``Status`` object (``reason``, ``message``, ``code``,
``details.causes``). :func:`error_from_status` turns that into one :class:`KubeError` subclass per
thing the user can act on; :func:`error_from_transport` does the same for failures below HTTP
(connection refused, DNS, TLS, timeouts). Nothing here imports kubernetes_asyncio: the client hands
over the status, body and headers. A message never contains a request body, so never a key.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
from collections.abc import Mapping
from typing import Any, TypedDict, Unpack

from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.text import storable

_FORBIDDEN = re.compile(
    r'(?:User "(?P<user>[^"]*)" )?cannot (?P<verb>[\w-]+) resource "(?P<resource>[^"]+)"'
    r'(?: in API group "(?P<group>[^"]*)")?'
    r'(?: in the namespace "(?P<namespace>[^"]+)"| at the cluster scope)?'
)
_PORT_TAKEN = re.compile(r"Invalid value: (\d+): provided port is already allocated")
_PORT_RANGE = re.compile(r"Invalid value: (\d+): provided port is not in the valid range")
# Some refusals carry no Status field of their own, only their wording: they are recognised here,
# once, and handed on as properties, so no caller reads a message. The golden corpus: growing a
# PVC whose class cannot expand is 403 "only dynamically provisioned pvc can be resized and the
# storageclass that provisions the pvc must support resize"; the kubelet answers a log read of a
# container not up yet with 400 "container ... is waiting to start: ContainerCreating".
_NO_EXPANSION = ("resize", "expan")
_NOT_UP_YET = ("waiting to start", "ContainerCreating", "PodInitializing")


class CallTarget(TypedDict, total=False):
    """The call a failure is about (all optional): what we tried on what."""

    verb: str
    resource: str
    name: str | None
    namespace: str | None


class CallInfo(CallTarget, total=False):
    """What an error records about the failed call (all optional)."""

    status: int
    reason: str


class KubeError(ClaworcError):
    """A Kubernetes call failed.

    Attributes:
        status: HTTP status (0 when no response came back).
        reason: The Status ``reason`` (``Forbidden``, ``NotFound`` ...) or the transport failure.
        message: The API server's message, or a description of the transport failure.
        verb: What we tried (``create``, ``get``, ``list``, ``watch``, ``patch``, ``delete``).
        resource: The resource (``deployments``, ``pods/log`` ...).
        name: The object name, when the call was about one object.
        namespace: The namespace of the call, if namespaced.
    """

    def __init__(self, message: str, **info: Unpack[CallInfo]) -> None:
        super().__init__(message)
        self.message = message
        self.status: int = info.get("status", 0)
        self.reason: str = info.get("reason", "")
        self.verb: str = info.get("verb", "")
        self.resource: str = info.get("resource", "")
        self.name: str | None = info.get("name")
        self.namespace: str | None = info.get("namespace")

    @property
    def call(self) -> str:
        """The call that failed, for logs: ``create deployments/bot-alpha in claworc``."""
        target = f"{self.resource}/{self.name}" if self.name else self.resource
        where = f" in {self.namespace}" if self.namespace else ""
        return f"{self.verb} {target}{where}".strip()

    @property
    def expansion_refused(self) -> bool:
        """True when the server refused to resize a PVC (its storage class cannot expand)."""
        return self.status in (403, 422) and any(w in self.message for w in _NO_EXPANSION)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        kind = type(self).__name__
        return f"{kind}(status={self.status}, reason={self.reason!r}, call={self.call!r})"


class KubeBadRequest(KubeError):
    """400: the server refused the request as malformed (or, for logs, the container is not up)."""

    @property
    def container_not_ready(self) -> bool:
        """True when a log read was refused because the container has not started (yet):
        waiting, ContainerCreating, PodInitializing. Waiting may help; for any other 400 not."""
        return any(hint in self.message for hint in _NOT_UP_YET)


class KubeUnauthorized(KubeError):
    """401: the credentials of the kubeconfig were not accepted (expired token, wrong cert)."""


class KubeForbidden(KubeError):
    """403: RBAC does not allow the call. ``verb``/``resource``/``namespace`` name what was denied.

    Attributes:
        user: The user the server saw, when the message says.
        group: The API group of the denied resource ("" for the core group).
    """

    def __init__(
        self,
        message: str,
        *,
        user: str | None = None,
        group: str | None = None,
        **info: Unpack[CallInfo],
    ) -> None:
        super().__init__(message, **info)
        self.user = user
        self.group = group


class KubeNotFound(KubeError):
    """404: the object (or the namespace) does not exist."""


class KubeConflict(KubeError):
    """409: someone else changed the object since we read it."""


class KubeOwnedElsewhere(KubeConflict):
    """The object belongs to another claworc database, or another writer changed it since we
    read it: the message says who. Nothing was changed."""


class KubeAlreadyExists(KubeConflict):
    """409 AlreadyExists: an object with that name exists already."""


class KubeGone(KubeError):
    """410: the resourceVersion is older than the server's history (re-list needed)."""


class KubeInvalid(KubeError):
    """422: the object failed validation.

    Attributes:
        causes: (field, message) of each failed check.
        taken_ports: NodePorts the server said are already allocated.
        out_of_range_ports: NodePorts outside the cluster's NodePort range.
    """

    def __init__(
        self,
        message: str,
        *,
        causes: list[tuple[str, str]] | None = None,
        **info: Unpack[CallInfo],
    ) -> None:
        super().__init__(message, **info)
        self.causes = causes or []
        texts = [message] + [text for _field, text in self.causes]
        self.taken_ports = sorted({int(p) for t in texts for p in _PORT_TAKEN.findall(t)})
        self.out_of_range_ports = sorted({int(p) for t in texts for p in _PORT_RANGE.findall(t)})

    @property
    def port_conflict(self) -> bool:
        """True when a NodePort we asked for is held by another Service."""
        return bool(self.taken_ports)


class KubeNotExpandable(KubeError):
    """A PVC cannot grow: its storage class does not allow volume expansion."""


class KubeTooManyRequests(KubeError):
    """429: the server asks us to slow down.

    Attributes:
        retry_after: Seconds to wait, from ``Retry-After`` or the Status details, if given.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, **info: Unpack[CallInfo]
    ) -> None:
        super().__init__(message, **info)
        self.retry_after = retry_after


class KubeServerError(KubeError):
    """5xx: the API server (or something behind it) failed."""


class KubeUnreachable(KubeError):
    """No HTTP answer: connection refused or reset, DNS failure, TLS failure.

    Attributes:
        server_url: The API server URL we tried.
    """

    def __init__(self, message: str, *, server_url: str = "", **info: Unpack[CallInfo]) -> None:
        super().__init__(message, **info)
        self.server_url = server_url


class KubeTimeout(KubeError):
    """The server did not answer in time."""


class KubeConfigError(KubeError):
    """No usable kubeconfig (file missing, unknown context) and not running in a cluster."""


def _parse_body(body: bytes | str | None) -> dict[str, Any]:
    if not body:
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _retry_after(headers: Mapping[str, str] | None, details: Mapping[str, Any]) -> float | None:
    header = (headers or {}).get("Retry-After")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass  # an HTTP date; rare from the API server, fall back to the details
    seconds = details.get("retryAfterSeconds")
    return float(seconds) if isinstance(seconds, int | float) else None


def error_from_status(
    status: int,
    body: bytes | str | None,
    headers: Mapping[str, str] | None = None,
    **target: Unpack[CallTarget],
) -> KubeError:
    """Map a non-2xx answer (or a watch ``ERROR`` event's Status) to a :class:`KubeError`.

    Args:
        status: HTTP status, or the Status ``code``.
        body: The response body (a ``Status`` object as JSON, usually).
        headers: Response headers (``Retry-After`` is read from them).
        **target: The call (verb, resource, name, namespace).

    Returns:
        The error to raise.
    """
    doc = _parse_body(body)
    # The server's text is kept (activity log, status detail): no lone surrogate may survive.
    reason = storable(str(doc.get("reason") or ""))
    details = doc.get("details") if isinstance(doc.get("details"), dict) else {}
    assert isinstance(details, dict)
    message = storable(str(doc.get("message") or "").strip())
    if not message:
        text = body.decode(errors="replace") if isinstance(body, bytes) else (body or "")
        message = text.strip()[:300] or f"HTTP {status} from the API server"
    call: CallInfo = {**target, "status": status, "reason": reason}
    namespace = target.get("namespace")
    if status == 403:
        match = _FORBIDDEN.search(message)
        if match:
            call["verb"] = match["verb"]
            call["resource"] = match["resource"]
            scoped = "cluster scope" not in message
            call["namespace"] = match["namespace"] or (namespace if scoped else None)
        user = match["user"] if match else None
        group = match["group"] if match else None
        return KubeForbidden(message, user=user, group=group, **call)
    if status == 409:
        cls = KubeAlreadyExists if reason == "AlreadyExists" else KubeConflict
        return cls(message, **call)
    if status == 422:
        causes = [
            (storable(str(c.get("field", ""))), storable(str(c.get("message", ""))))
            for c in details.get("causes", []) or []
            if isinstance(c, dict)
        ]
        return KubeInvalid(message, causes=causes, **call)
    if status == 429:
        return KubeTooManyRequests(message, retry_after=_retry_after(headers, details), **call)
    if status == 504 or reason == "Timeout":
        return KubeTimeout(message, **call)
    simple: dict[int, type[KubeError]] = {
        400: KubeBadRequest,
        401: KubeUnauthorized,
        404: KubeNotFound,
        410: KubeGone,
    }
    if status in simple:
        return simple[status](message, **call)
    if status >= 500:
        return KubeServerError(message, **call)
    return KubeError(message, **call)


def error_from_transport(
    exc: BaseException,
    server_url: str,
    **target: Unpack[CallTarget],
) -> KubeError:
    """Map a failure below HTTP (aiohttp, ssl, OS, timeout) to a :class:`KubeError`.

    Args:
        exc: What aiohttp (or asyncio) raised.
        server_url: The API server URL, named in the message.
        **target: The call (verb, resource, name, namespace).
    """
    # Here, not at the top: the rest of this module is used before aiohttp is (the app's
    # first frame, see services/launch.py); a transport failure comes after it was imported.
    from claworc_tui.k8s.http import aiohttp

    if isinstance(exc, TimeoutError | asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return KubeTimeout(
            f"the Kubernetes API server at {server_url} did not answer in time",
            reason="Timeout",
            **target,
        )
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | ssl.SSLError):
        detail = "its TLS certificate was not accepted"
    elif isinstance(exc, aiohttp.ClientConnectorDNSError):
        detail = "its host name could not be resolved"
    elif isinstance(exc, aiohttp.ClientConnectorError):
        detail = "the connection was refused or could not be made"
    elif isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        detail = "the connection was closed"
    else:
        detail = str(exc) or type(exc).__name__
    return KubeUnreachable(
        f"cannot reach the Kubernetes API server at {server_url}: {detail}",
        server_url=server_url,
        reason=type(exc).__name__,
        **target,
    )
