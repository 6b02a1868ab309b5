"""What we learn about an instance's Kubernetes objects, and what they should be: frozen models.

They are built from the API server's JSON by :mod:`claworc_tui.k8s.objects` (and the expected
shape by :func:`claworc_tui.k8s.manifests.expected_shape`, what ``adopt`` finds by
:mod:`claworc_tui.k8s.adopt`); the services and the UI see only these. :func:`compute_drift`
compares the live objects with the expected shape.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, SecretStr

from claworc_tui.models.instance import STORAGE_ROLES, Provider
from claworc_tui.models.names import object_names
from claworc_tui.models.quantity import QuantityError, parse_quantity


class _Frozen(BaseModel):
    # defer_build: validators are built at first use, not at import (issue 17, launch: none of
    # these is needed before the first frame).
    model_config = ConfigDict(frozen=True, defer_build=True)


class ExpectedShape(_Frozen):
    """What the cluster should hold for an instance, reduced to the fields we check for drift."""

    replicas: int
    """Desired replicas of the Deployment (0 or 1)."""
    image: str
    """Container image."""
    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str
    node_ports: tuple[int | None, int | None]
    """(chrome, terminal) NodePorts of the Service ((None, None): a private instance's has none)."""
    service_type: str = "NodePort"
    """``NodePort``, or ``ClusterIP`` for a private instance."""
    storage: dict[str, str]
    """Requested size of each PVC, keyed by role."""
    config_hash: str
    """Fingerprint of the ``clawdbot.json`` the ConfigMap should hold."""
    secret_keys: frozenset[str]
    """Environment variable names the Secret should hold (values are never compared here)."""


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


def instance_targets(name: str) -> list[tuple[str, str]]:
    """(kind, name) of the eight objects instance ``name`` is made of (its pods aside)."""
    names = object_names(name)
    return [
        ("Deployment", names["deployment"]),
        ("Service", names["service"]),
        ("Secret", names["secret"]),
        ("ConfigMap", names["configmap"]),
        *[("PersistentVolumeClaim", names[f"pvc_{role}"]) for role in STORAGE_ROLES],
    ]


class OrphanDelete(StrEnum):
    """What deleting one orphaned object did."""

    DELETED = "deleted"
    GONE = "already gone"
    CHANGED = "not deleted: it was replaced since the check (another uid)"
    NOT_OURS = "not deleted: it does not carry our managed-by label"
    OTHER_OWNER = "not deleted: another claworc database created it"


class FoundObject(BaseModel):
    """One object of a found instance: enough to patch it conditionally."""

    model_config = ConfigDict(frozen=True)

    kind: str
    name: str
    resource_version: str
    owner: str | None
    ours: bool
    """Carries ``managed-by=claworc`` and ``app=<instance>``."""
    label_owner: str | None = None
    """The owner label as read (None: absent), restored exactly by a rollback."""
    notes: dict[str, str | None] = {}
    """Our annotations (:data:`claworc_tui.k8s.ownership.OUR_ANNOTATIONS`) as read, None where
    absent."""


class FoundInstance(BaseModel):
    """What the cluster holds of one instance (None: that object or field is missing)."""

    model_config = ConfigDict(frozen=True)

    name: str
    objects: tuple[FoundObject, ...]
    display_name: str | None
    exposure: str | None
    service_type: str | None
    node_ports: tuple[int | None, int | None]
    """(chrome, terminal) NodePorts of the Service."""
    replicas: int | None
    image: str | None
    resources: ResourceValues | None
    storage: dict[str, str | None]
    config: str | None
    keys: dict[Provider, SecretStr]
    """The Secret's values by provider (undecodable values are left out)."""
    overrides: frozenset[Provider] | None
    """The providers the owning record had its own key for (None: not annotated)."""

    @property
    def owners(self) -> set[str | None]:
        """Every owner id the objects carry (None for legacy objects)."""
        return {o.owner for o in self.objects}

    @property
    def missing(self) -> list[str]:
        """``Kind/name`` of the eight objects that do not exist."""
        have = {(o.kind, o.name) for o in self.objects}
        return [f"{k}/{n}" for k, n in instance_targets(self.name) if (k, n) not in have]

    @property
    def foreign(self) -> list[FoundObject]:
        """Objects of the name that do not carry our labels (not ours to adopt)."""
        return [o for o in self.objects if not o.ours]
