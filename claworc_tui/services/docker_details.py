"""What the detail pane and the delete confirmation show on Docker, and where the pages are.

The container, the four volumes and the keys folder, each with its state; the status from the
fleet hub's event-fed cache; the URLs on the engine's bind address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from claworc_tui.docker import spec
from claworc_tui.docker.errors import DockerFault, NotOurs
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.k8s.manifests import PVC_MOUNTS
from claworc_tui.models.settings import GlobalSettings
from claworc_tui.services.advice import advise
from claworc_tui.services.details import event_rows, key_sources
from claworc_tui.services.fleet import FleetHub
from claworc_tui.services.status import merge
from claworc_tui.services.store import Store
from claworc_tui.services.views import InstanceDetails, ObjectRow, VncUrls

CONTAINER = "Container"
VOLUME = "Volume"


def _container_state(doc: dict[str, Any]) -> str:
    state = doc.get("State") or {}
    status = str(state.get("Status", "?"))
    if state.get("OOMKilled"):
        status += " (OOMKilled)"
    if not state.get("Running") and state.get("ExitCode") is not None:
        status += f", exit code {state['ExitCode']}"
    return f"{status}, {doc.get('RestartCount', 0)} restarts"


@dataclass(eq=False)
class DockerInspection:
    """The detail pane's data, the delete plan and the URLs on a Docker engine."""

    store: Store
    ops: DockerInstances
    hub: FleetHub

    async def delete_plan(self, name: str) -> list[ObjectRow]:
        """The container, the four volumes and the keys folder, each with its state."""
        await self.store.instances.get(name)
        try:
            doc, state = await self.ops.checked(name), None
        except NotOurs as exc:  # a container not ours holds the name: shown, never acted on
            doc, state = None, f"not ours ({exc.message.partition('(')[2].partition(')')[0]})"
        ours = await self.ops.list_ours()
        rows = [
            ObjectRow(
                kind=CONTAINER,
                name=spec.container_name(name),
                state=state or (_container_state(doc) if doc else "missing"),
                ok=bool(doc and (doc.get("State") or {}).get("Running")),
            )
        ]
        have = set(ours.volumes.get(name, []))
        for _volume, _path, role in PVC_MOUNTS:
            vname = spec.volume_name(name, role)
            found = vname in have
            rows.append(
                ObjectRow(kind=VOLUME, name=vname, state="exists" if found else "missing", ok=found)
            )
        folder = self.ops.folder(name)
        rows.append(
            ObjectRow(
                kind="Folder",
                name=str(folder),
                state="keys and clawdbot.json" if folder.exists() else "missing",
                ok=folder.exists(),
            )
        )
        return rows

    async def details(self, name: str, *, reread: bool = True) -> InstanceDetails:
        """Status from the hub's event-fed cache; objects from the engine; advice from both
        (``reread`` is Kubernetes's: nothing here is kept between reads)."""
        instance = await self.store.instances.get(name)
        pods = self.hub.pods_of(name)
        view = self.hub.view(name) or merge(instance, pods)
        keys = await key_sources(self.store, name)
        events = self.hub.events_of(name, limit=30)
        try:
            rows = await self.delete_plan(name)
        except DockerFault:
            rows = []
        return InstanceDetails(
            view=view,
            urls=await self.urls(name),
            objects=tuple(rows),
            keys=tuple(keys),
            events=tuple(event_rows(events)),
            advice=tuple(advise(instance, pods, None, events)),
        )

    async def node_host(self, settings: GlobalSettings | None = None) -> str:
        """Where the published ports are reached: the bind address (loopback by default)."""
        settings = settings or await self.store.settings.get()
        if settings.node_host:
            return settings.node_host
        bound = self.ops.bind_address
        return "localhost" if bound in ("127.0.0.1", "0.0.0.0", "::", "") else bound

    async def urls(self, name: str) -> VncUrls:
        """Both noVNC URLs on this host."""
        instance = await self.store.instances.get(name)
        if instance.node_ports is None:
            note = spec.private_note(name)
            return VncUrls(chrome=note, terminal=note)
        base = f"http://{await self.node_host()}:{{port}}/vnc.html?autoconnect=true"
        return VncUrls(
            chrome=base.format(port=instance.nodeport_chrome),
            terminal=base.format(port=instance.nodeport_terminal),
        )
