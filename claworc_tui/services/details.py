"""The detail pane's data: objects with their state, key sources, events, advice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from claworc_tui.k8s.errors import KubeError
from claworc_tui.models.cluster import EventInfo, InstanceObjects, ServiceState
from claworc_tui.models.instance import STORAGE_ROLES, Provider
from claworc_tui.models.names import object_names
from claworc_tui.models.secrets import mask_key
from claworc_tui.services import advice as advice_mod
from claworc_tui.services.status import merge
from claworc_tui.services.views import EventRow, InstanceDetails, KeySource, ObjectRow, VncUrls

if TYPE_CHECKING:
    from claworc_tui.services.instances import InstanceService


def object_rows(objects: InstanceObjects) -> list[ObjectRow]:
    """One row per object, ``missing`` where it does not exist."""
    names = object_names(objects.name)
    rows: list[ObjectRow] = []
    dep = objects.deployment
    rows.append(
        ObjectRow(
            kind="Deployment",
            name=names["deployment"],
            state="missing"
            if dep is None
            else f"replicas {dep.replicas}, {dep.ready_replicas}/{dep.replicas} ready",
            ok=dep is not None,
        )
    )
    for role in STORAGE_ROLES:
        pvc = objects.pvcs.get(role)
        state = "missing"
        if pvc is not None:
            state = f"{pvc.phase or '?'} {pvc.capacity or pvc.requested or ''}".strip()
            if pvc.resizing:
                state += " (resizing)"
            if pvc.terminating:
                state += " (terminating)"
        rows.append(
            ObjectRow(
                kind="PersistentVolumeClaim",
                name=names[f"pvc_{role}"],
                state=state,
                ok=pvc is not None and pvc.phase == "Bound",
            )
        )
    svc = objects.service
    rows.append(
        ObjectRow(
            kind="Service",
            name=names["service"],
            state="missing" if svc is None else _service_state(svc),
            ok=svc is not None,
        )
    )
    rows.append(
        ObjectRow(
            kind="Secret",
            name=names["secret"],
            state="missing"
            if objects.secret_keys is None
            else (", ".join(sorted(objects.secret_keys)) or "no keys"),
            ok=objects.secret_keys is not None,
        )
    )
    rows.append(
        ObjectRow(
            kind="ConfigMap",
            name=names["configmap"],
            state="missing" if objects.config_hash is None else "clawdbot.json",
            ok=objects.config_hash is not None,
        )
    )
    return rows


def event_rows(events: list[EventInfo]) -> list[EventRow]:
    """Events as the pane shows them, newest first."""
    return [
        EventRow(
            time=e.last_time,
            type=e.type,
            reason=e.reason,
            object=f"{(e.kind or '').lower()}/{e.name}",
            message=e.message,
            count=e.count,
        )
        for e in events
    ]


async def key_sources(svc: InstanceService, name: str) -> list[KeySource]:
    """Per provider: override, global or none — masked."""
    overrides = await svc.store.instances.overrides(name)
    globals_ = await svc.store.settings.keys()
    out: list[KeySource] = []
    for provider in Provider:
        if provider in overrides:
            out.append(
                KeySource(
                    provider=provider, source="override", masked=mask_key(overrides[provider])
                )
            )
        elif provider in globals_:
            out.append(
                KeySource(provider=provider, source="global", masked=mask_key(globals_[provider]))
            )
        else:
            out.append(KeySource(provider=provider, source="none", masked=mask_key(None)))
    return out


def _service_state(svc: ServiceState) -> str:
    """``NodePort chrome 6081→30100, …``, or ``ClusterIP chrome 6081, …`` (no node ports)."""
    ports = ", ".join(
        f"{p.name} {p.port}" + (f"→{p.node_port}" if p.node_port else "") for p in svc.ports
    )
    return f"{svc.type or 'ClusterIP'} {ports}"


async def details(svc: InstanceService, name: str, *, reread: bool = True) -> InstanceDetails:
    """The detail pane's data: live parts from the hub's cache, the rest from the records.

    The Secret's key names and the ConfigMap's fingerprint are not watched (a watch of Secrets
    would hold every key in memory): they are read when ``reread`` (a new selection, after an
    operation) and otherwise kept from the last read.
    """
    instance = await svc.store.instances.get(name)
    hub = svc.hub
    view = hub.view(name) or merge(instance, hub.pods_of(name))
    keys = await key_sources(svc, name)
    extras = svc.detail_extras.get(name)
    try:
        if reread or extras is None:
            extras = svc.detail_extras[name] = await svc.kube.lifecycle.secret_and_config(name)
        urls = await svc.urls(name)
    except KubeError:
        return InstanceDetails(
            view=view, urls=None, objects=(), keys=tuple(keys), events=(), advice=()
        )
    objects = hub.objects_of(name, *extras)
    events = hub.events_of(name, limit=30)
    advice = advice_mod.advise(instance, hub.pods_of(name), objects, events)
    return InstanceDetails(
        view=view,
        urls=urls,
        objects=tuple(object_rows(objects)),
        keys=tuple(keys),
        events=tuple(event_rows(events)),
        advice=tuple(advice),
    )


async def delete_plan(svc: InstanceService, name: str) -> list[ObjectRow]:
    """Every object a delete destroys, with its state (``missing`` ones are listed too)."""
    await svc.store.instances.get(name)
    try:
        if svc.hub.cached_docs() is None:  # no live watch cache (the CLI): read each object
            objects = await svc.kube.lifecycle.get_instance_objects(name)
        else:  # the Secret and ConfigMap are not watched (see details())
            objects = svc.hub.objects_of(name, *await svc.kube.lifecycle.secret_and_config(name))
    except KubeError:
        return [
            ObjectRow(kind="object", name=obj, state="unknown (cluster unreachable)", ok=False)
            for obj in object_names(name).values()
        ]
    return object_rows(objects)


__all__ = ["VncUrls", "delete_plan", "details", "event_rows", "key_sources", "object_rows"]
