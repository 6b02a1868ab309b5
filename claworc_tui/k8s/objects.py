"""The pure converters from API JSON to our summaries of live Kubernetes objects.

Everything the rest of the app learns about the cluster leaves ``k8s/`` as one of the frozen
models of :mod:`claworc_tui.models.cluster`. The converters take the JSON the API server sent
(camelCase dicts) and never fail on a missing field: a half-created object is summarised with
what it has.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from claworc_tui.k8s.manifests import CONFIG_KEY, CONTAINER, config_hash
from claworc_tui.k8s.ownership import owner_of
from claworc_tui.models.cluster import (
    DeploymentState,
    EventInfo,
    ManagedObject,
    PvcState,
    ResourceValues,
    ServicePort,
    ServiceState,
)

Json = dict[str, Any]


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
