"""Our summaries of live Kubernetes objects, and the pure converters from API JSON to them.

Everything the rest of the app learns about the cluster leaves ``k8s/`` as one of these frozen
models. The converters take the JSON the API server sent (camelCase dicts) and never fail on a
missing field: a half-created object is summarised with what it has.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from claworc_tui.k8s.manifests import (
    CONFIG_KEY,
    CONTAINER,
    ExpectedShape,
    config_hash,
)
from claworc_tui.k8s.ownership import owner_of
from claworc_tui.models.quantity import QuantityError, parse_quantity

Json = dict[str, Any]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


def parse_time(value: object) -> datetime | None:
    """Parse an RFC 3339 timestamp as the API server writes it (``2024-05-01T10:00:00Z``)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _dig(doc: object, *path: str) -> Any:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


class ServerVersion(_Frozen):
    """The API server's ``/version``."""

    git_version: str
    major: str
    minor: str
    platform: str


class ResourceValues(_Frozen):
    """Requests and limits as the server holds them (it may have normalised ``2000m`` to ``2``)."""

    cpu_request: str | None = None
    cpu_limit: str | None = None
    memory_request: str | None = None
    memory_limit: str | None = None


class DeploymentState(_Frozen):
    """The parts of a Deployment the detail pane and drift check use."""

    replicas: int
    ready_replicas: int
    available_replicas: int
    updated_replicas: int
    image: str | None
    resources: ResourceValues
    generation: int
    observed_generation: int
    restarted_at: str | None
    """The ``kubectl.kubernetes.io/restartedAt`` template annotation, if set."""
    conditions: dict[str, str]
    """Condition type -> status (``Available`` -> ``True``)."""


class PvcState(_Frozen):
    """One PVC: its phase, what was asked for and what was provisioned."""

    name: str
    phase: str | None
    requested: str | None
    capacity: str | None
    storage_class: str | None
    resizing: bool
    """True while a resize condition (``Resizing``/``FileSystemResizePending``) is set."""
    terminating: bool


class ServicePort(_Frozen):
    """One port of a Service."""

    name: str | None
    port: int
    node_port: int | None


class ServiceState(_Frozen):
    """The NodePort Service."""

    type: str | None
    ports: tuple[ServicePort, ...]

    def node_port(self, port_name: str) -> int | None:
        """The nodePort of the port named ``port_name`` (``chrome``, ``terminal``)."""
        return next((p.node_port for p in self.ports if p.name == port_name), None)


class InstanceObjects(_Frozen):
    """Which of an instance's objects exist, and what they hold. None means missing."""

    name: str
    deployment: DeploymentState | None
    pvcs: dict[str, PvcState | None]
    """Keyed by role: clawdbot, homebrew, clawd, chrome."""
    service: ServiceState | None
    secret_keys: frozenset[str] | None
    """Names of the keys in the Secret (never their values); None if the Secret is missing."""
    config_hash: str | None
    """Fingerprint of the ConfigMap's ``clawdbot.json``; None if the ConfigMap is missing."""

    @property
    def missing(self) -> list[str]:
        """Object kinds (or ``pvc/<role>``) that do not exist."""
        out = [
            kind
            for kind, value in (
                ("deployment", self.deployment),
                ("service", self.service),
                ("secret", self.secret_keys),
                ("configmap", self.config_hash),
            )
            if value is None
        ]
        return out + [f"pvc/{role}" for role, pvc in self.pvcs.items() if pvc is None]

    @property
    def exists(self) -> bool:
        """True if any object of the instance exists."""
        return len(self.missing) < 4 + len(self.pvcs)

    def drift(self, expected: ExpectedShape) -> list[Drift]:
        """Compare with what the record says; one :class:`Drift` per differing field."""
        return compute_drift(expected, self)


class Drift(_Frozen):
    """One field where the cluster differs from the database record."""

    field: str
    expected: str
    actual: str


class ManagedObject(_Frozen):
    """An object labelled ``managed-by=claworc`` (for the orphan check)."""

    kind: str
    name: str
    instance: str | None
    """The ``app`` label."""
    created_at: datetime | None
    uid: str | None = None
    """The object's uid: a delete is made on the condition that it is still this one."""
    owner: str | None = None
    """The owner label: the id of the claworc database that created it (None: made before
    owner ids, or by hand)."""


class NodePortOwner(_Frozen):
    """Which Service holds a nodePort."""

    node_port: int
    namespace: str
    service: str


class EventInfo(_Frozen):
    """One Kubernetes Event about one of our objects."""

    type: str
    reason: str
    message: str
    kind: str | None
    name: str | None
    count: int
    last_time: datetime | None


def _same_quantity(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a == b
    try:
        return parse_quantity(a) == parse_quantity(b)
    except QuantityError:
        return a == b


def deployment_state(doc: Json) -> DeploymentState:
    """Summarise a Deployment."""
    spec = doc.get("spec") or {}
    status = doc.get("status") or {}
    containers = _dig(spec, "template", "spec", "containers") or []
    main = next((c for c in containers if c.get("name") == CONTAINER), None)
    if main is None and containers:
        main = containers[0]
    main = main or {}
    res = main.get("resources") or {}
    requests = res.get("requests") or {}
    limits = res.get("limits") or {}
    annotations = _dig(spec, "template", "metadata", "annotations") or {}
    return DeploymentState(
        replicas=int(spec.get("replicas", 1)),
        ready_replicas=int(status.get("readyReplicas") or 0),
        available_replicas=int(status.get("availableReplicas") or 0),
        updated_replicas=int(status.get("updatedReplicas") or 0),
        image=main.get("image"),
        resources=ResourceValues(
            cpu_request=requests.get("cpu"),
            cpu_limit=limits.get("cpu"),
            memory_request=requests.get("memory"),
            memory_limit=limits.get("memory"),
        ),
        generation=int(_dig(doc, "metadata", "generation") or 0),
        observed_generation=int(status.get("observedGeneration") or 0),
        restarted_at=annotations.get("kubectl.kubernetes.io/restartedAt"),
        conditions={
            str(c.get("type")): str(c.get("status")) for c in status.get("conditions") or []
        },
    )


def pvc_state(doc: Json) -> PvcState:
    """Summarise a PersistentVolumeClaim."""
    status = doc.get("status") or {}
    conditions = {c.get("type") for c in status.get("conditions") or []}
    return PvcState(
        name=str(_dig(doc, "metadata", "name") or ""),
        phase=status.get("phase"),
        requested=_dig(doc, "spec", "resources", "requests", "storage"),
        capacity=_dig(status, "capacity", "storage"),
        storage_class=_dig(doc, "spec", "storageClassName"),
        resizing=bool(conditions & {"Resizing", "FileSystemResizePending"}),
        terminating=_dig(doc, "metadata", "deletionTimestamp") is not None,
    )


def service_state(doc: Json) -> ServiceState:
    """Summarise a Service."""
    spec = doc.get("spec") or {}
    return ServiceState(
        type=spec.get("type"),
        ports=tuple(
            ServicePort(name=p.get("name"), port=int(p.get("port", 0)), node_port=p.get("nodePort"))
            for p in spec.get("ports") or []
        ),
    )


def configmap_hash(doc: Json) -> str:
    """Fingerprint of a ConfigMap's ``clawdbot.json`` (the hash of ``""`` if the key is absent)."""
    text = (doc.get("data") or {}).get(CONFIG_KEY)
    return config_hash(text) if isinstance(text, str) else config_hash("")


def secret_key_names(doc: Json) -> frozenset[str]:
    """The key names of a Secret; the values are not looked at."""
    return frozenset((doc.get("data") or {}).keys()) | frozenset(
        (doc.get("stringData") or {}).keys()
    )


def managed_object(kind: str, doc: Json) -> ManagedObject:
    """Summarise any labelled object."""
    meta = doc.get("metadata") or {}
    return ManagedObject(
        kind=kind,
        name=str(meta.get("name", "")),
        instance=(meta.get("labels") or {}).get("app"),
        created_at=parse_time(meta.get("creationTimestamp")),
        uid=meta.get("uid"),
        owner=owner_of(doc),
    )


def event_info(doc: Json) -> EventInfo:
    """Summarise a core/v1 Event (``series`` and ``eventTime`` of newer events included)."""
    involved = doc.get("involvedObject") or {}
    series = doc.get("series") or {}
    last = (
        parse_time(series.get("lastObservedTime"))
        or parse_time(doc.get("lastTimestamp"))
        or parse_time(doc.get("eventTime"))
        or parse_time(doc.get("firstTimestamp"))
        or parse_time(_dig(doc, "metadata", "creationTimestamp"))
    )
    return EventInfo(
        type=str(doc.get("type") or "Normal"),
        reason=str(doc.get("reason") or ""),
        message=str(doc.get("message") or "").strip(),
        kind=involved.get("kind"),
        name=involved.get("name"),
        count=int(series.get("count") or doc.get("count") or 1),
        last_time=last,
    )


def _shown(value: object) -> str:
    return "none" if value is None else str(value)


def compute_drift(expected: ExpectedShape, actual: InstanceObjects) -> list[Drift]:
    """Fields where the live objects differ from ``expected`` (missing objects are not drift)."""
    out: list[Drift] = []

    def check(field: str, want: object, have: object, *, quantity: bool = False) -> None:
        same = (
            _same_quantity(str(want), None if have is None else str(have))
            if quantity
            else want == have
        )
        if not same:  # a private instance's Service has no nodePort: "none", not "None"
            out.append(Drift(field=field, expected=_shown(want), actual=_shown(have)))

    dep = actual.deployment
    if dep is not None:
        check("replicas", expected.replicas, dep.replicas)
        check("image", expected.image, dep.image)
        for field in ("cpu_request", "cpu_limit", "memory_request", "memory_limit"):
            check(field, getattr(expected, field), getattr(dep.resources, field), quantity=True)
    if actual.service is not None:
        check("service_type", expected.service_type, actual.service.type)
        check("nodeport_chrome", expected.node_ports[0], actual.service.node_port("chrome"))
        check("nodeport_terminal", expected.node_ports[1], actual.service.node_port("terminal"))
    for role, pvc in actual.pvcs.items():
        if pvc is not None and role in expected.storage:
            check(f"storage_{role}", expected.storage[role], pvc.requested, quantity=True)
    if actual.config_hash is not None:
        check("clawdbot_config", expected.config_hash, actual.config_hash)
    if actual.secret_keys is not None and expected.secret_keys != actual.secret_keys:
        check(
            "secret_keys",
            ",".join(sorted(expected.secret_keys)),
            ",".join(sorted(actual.secret_keys)),
        )
    return out
