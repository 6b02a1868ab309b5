"""The detail pane's data: objects with their state, key sources, events, advice."""

from __future__ import annotations

from urllib.parse import urlparse

from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeError
from claworc_tui.models.cluster import EventInfo, InstanceObjects, ServiceState
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import STORAGE_ROLES, Provider
from claworc_tui.models.names import object_names
from claworc_tui.models.secrets import mask_key
from claworc_tui.models.settings import GlobalSettings
from claworc_tui.services import advice as advice_mod
from claworc_tui.services.fleet import FleetHub
from claworc_tui.services.status import merge
from claworc_tui.services.store import Store
from claworc_tui.services.views import EventRow, InstanceDetails, KeySource, ObjectRow, VncUrls


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
    service = objects.service
    rows.append(
        ObjectRow(
            kind="Service",
            name=names["service"],
            state="missing" if service is None else _service_state(service),
            ok=service is not None,
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


async def key_sources(store: Store, name: str) -> list[KeySource]:
    """Per provider: override, global or none — masked."""
    overrides = await store.instances.overrides(name)
    globals_ = await store.settings.keys()
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


__all__ = ["DetailsService", "event_rows", "key_sources", "object_rows"]


class DetailsService:
    """What the detail pane and the delete confirmation show, and the instances' addresses.

    Args:
        store: The open records.
        kube: A started Kubernetes client.
        hub: The fleet hub (its watch cache is what the pane shows live).
    """

    def __init__(self, store: Store, kube: KubeClient, hub: FleetHub) -> None:
        self.store = store
        self.kube = kube
        self.hub = hub
        self.detail_extras: dict[str, tuple[frozenset[str] | None, str | None]] = {}
        """Per instance: its Secret's key names and ConfigMap fingerprint, as last read."""
        self._node_hosts: dict[str | None, str] = {}

    async def details(self, name: str, *, reread: bool = True) -> InstanceDetails:
        """The detail pane's data: live parts from the hub's cache, the rest from the records.

        The Secret's key names and the ConfigMap's fingerprint are not watched (a watch of Secrets
        would hold every key in memory): they are read when ``reread`` (a new selection, after an
        operation) and otherwise kept from the last read.
        """
        instance = await self.store.instances.get(name)
        hub = self.hub
        view = hub.view(name) or merge(instance, hub.pods_of(name))
        keys = await key_sources(self.store, name)
        extras = self.detail_extras.get(name)
        try:
            if reread or extras is None:
                extras = self.detail_extras[name] = await self.kube.lifecycle.secret_and_config(
                    name
                )
            urls = await self.urls(name)
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

    async def delete_plan(self, name: str) -> list[ObjectRow]:
        """Every object a delete destroys, with its state (``missing`` ones are listed too)."""
        await self.store.instances.get(name)
        try:
            if self.hub.cached_docs() is None:  # no live watch cache (the CLI): read each object
                objects = await self.kube.lifecycle.get_instance_objects(name)
            else:  # the Secret and ConfigMap are not watched (see details())
                objects = self.hub.objects_of(
                    name, *await self.kube.lifecycle.secret_and_config(name)
                )
        except KubeError:
            return [
                ObjectRow(kind="object", name=obj, state="unknown (cluster unreachable)", ok=False)
                for obj in object_names(name).values()
            ]
        return object_rows(objects)

    async def urls(self, name: str) -> VncUrls:
        """Both noVNC URLs (node host from settings, else the first node's address)."""
        instance = await self.store.instances.get(name)
        if instance.exposure is Exposure.PRIVATE:
            note = "private: no NodePorts; its pages are reached through a port-forward"
            return VncUrls(chrome=note, terminal=note)
        settings = await self.store.settings.get()
        host = await self.node_host(settings)
        base = f"http://{host}:{{port}}/vnc.html?autoconnect=true"
        return VncUrls(
            chrome=base.format(port=instance.nodeport_chrome),
            terminal=base.format(port=instance.nodeport_terminal),
        )

    async def node_host(self, settings: GlobalSettings | None = None) -> str:
        """Where NodePorts are reachable: setting, node ExternalIP/InternalIP, API server host."""
        settings = settings or await self.store.settings.get()
        host = self._node_hosts.get(settings.node_host)
        if host is None:  # nodes do not move: ask once per session (and per setting)
            host = self._node_hosts[settings.node_host] = (
                await self.kube.cluster.node_address(settings.node_host) or ""
            )
        if host:
            return host
        return urlparse(self.kube.transport.server_url).hostname or "localhost"
