"""InstanceService: the one API the TUI and the CLI drive. It knows nothing of Textual.

The database is the source of truth for configuration and intent; the cluster for what runs.
Every write checks read-only mode first, runs under the instance's operation lock, records its
Kubernetes calls, and ends with one activity-log entry (never a key).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from pydantic import SecretStr

from claworc_tui.db.ports import lowest_free_pair
from claworc_tui.k8s import manifests
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeError, KubeNotFound
from claworc_tui.models.activity import ActivityEntry, ApiCall, Outcome
from claworc_tui.models.errors import (
    ClaworcError,
    NameTaken,
    PortRangeExhausted,
    ValidationFailed,
)
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import (
    Instance,
    InstanceSpec,
    InstanceStatus,
    Provider,
    Resources,
    Storage,
    check_api_key,
    validate_clawdbot_config,
)
from claworc_tui.models.names import derive_name, object_names
from claworc_tui.models.secrets import mask_key
from claworc_tui.models.settings import GlobalSettings
from claworc_tui.services import adopt as adopt_mod
from claworc_tui.services import advice as advice_mod
from claworc_tui.services import details as details_mod
from claworc_tui.services import drift as drift_mod
from claworc_tui.services import lifecycle
from claworc_tui.services.errors import LiveStatusUnavailable, OperationFailed, ReadOnlyMode
from claworc_tui.services.fleet import FleetHub
from claworc_tui.services.fleet_tools import FleetTools
from claworc_tui.services.logs import follow_instance_logs
from claworc_tui.services.ops import OperationLocks, owner_id
from claworc_tui.services.runtime import KubeRuntime, Runtime
from claworc_tui.services.store import Store
from claworc_tui.services.views import (
    AdoptPlan,
    DriftItem,
    DriftReport,
    FleetEvent,
    InstanceDetails,
    InstanceView,
    KeySource,
    LogEvent,
    LogOptions,
    ObjectRow,
    Progress,
    RepairResult,
    VncUrls,
)


class InstanceService(FleetTools):
    """Lifecycle, settings, live status, drift and the activity log of every instance.

    Args:
        store: The open records.
        kube: A started Kubernetes client.
        read_only_reason: Why writes are refused (``--read-only`` or RBAC), or None.
        log_buffer_lines: Lines a log follow keeps for a slow consumer.
    """

    def __init__(
        self,
        store: Store,
        kube: KubeClient,
        *,
        read_only_reason: str | None = None,
        log_buffer_lines: int = 10_000,
        runtime: Runtime | None = None,
    ) -> None:
        self.store = store
        self.kube = kube
        self.runtime: Runtime = runtime or KubeRuntime(kube)
        """What runs the instances (see :mod:`.runtime`)."""
        self.read_only_reason = read_only_reason
        self.log_buffer_lines = log_buffer_lines
        self.locks = OperationLocks()
        self.hub = FleetHub(store.instances, self.runtime)
        self.detail_extras: dict[str, tuple[frozenset[str] | None, str | None]] = {}
        """Per instance: its Secret's key names and ConfigMap fingerprint, as last read."""
        self._node_hosts: dict[str | None, str] = {}

    async def aclose(self) -> None:
        """Stop the shared watch."""
        await self.hub.aclose()

    # -- helpers -----------------------------------------------------------------------------

    def require_writable(self, action: str) -> None:
        """Raise :class:`ReadOnlyMode` when writes are not allowed."""
        if self.read_only_reason:
            raise ReadOnlyMode(action, self.read_only_reason)

    async def log_activity(
        self,
        action: str,
        outcome: Outcome,
        instance: str | None,
        detail: str | None,
        calls: Sequence[ApiCall] = (),
    ) -> None:
        """Append one activity entry."""
        await self.store.activity.append(
            action, outcome, instance=instance, detail=detail, calls=calls
        )

    async def effective_keys(self, name: str) -> dict[Provider, SecretStr]:
        """Override else global, per provider (providers with neither are left out)."""
        overrides = await self.store.instances.overrides(name)
        return manifests.effective_keys(overrides, await self.store.settings.keys())

    async def _simple(
        self,
        name: str,
        action: str,
        busy: InstanceStatus,
        final: InstanceStatus,
        replicas: int | None,
    ) -> None:
        self.require_writable(f"{action} {name}")
        instance = await self.store.instances.get(name)
        async with self.locks.hold(name, action) as calls:
            await self.store.instances.set_status(name, busy, step=action, owner=owner_id())
            try:
                if replicas is None:
                    await self.runtime.restart(name)
                elif replicas:
                    await self.runtime.start(name)
                else:
                    await self.runtime.stop(name)
            except (KubeError, ClaworcError, OSError) as exc:
                # Nothing changed in the cluster: go back to what the row said.
                await self.store.instances.set_status(
                    name, instance.status, detail=f"{action} failed: {exc}"
                )
                await self.log_activity(action, Outcome.FAILED, name, str(exc), calls)
                hint = (
                    " (run repair to re-create missing objects)"
                    if isinstance(exc, KubeNotFound)
                    else ""
                )
                raise OperationFailed(
                    name, action, action, str(exc) + hint, "Nothing was changed."
                ) from None
            await self.store.instances.set_status(name, final)
            await self.log_activity(action, Outcome.OK, name, None, calls)

    # -- reading -----------------------------------------------------------------------------

    async def list_views(self, settle: float | None = None) -> list[InstanceView]:
        """Every instance merged with its live pod (starts the shared watch if needed).

        Args:
            settle: Wait up to this many seconds for the first pod list, and raise
                :class:`LiveStatusUnavailable` if it does not come (the CLI); None: return
                what is known now (rows say "unknown" until the list came).
        """
        await self.hub.start()
        if settle is not None:
            try:
                async with asyncio.timeout(settle):
                    await self.hub.wait_synced()
            except TimeoutError:
                raise LiveStatusUnavailable(settle, self.hub.connection.reason) from None
        return self.hub.views()

    async def get(self, name: str) -> Instance:
        """The record of ``name``."""
        return await self.store.instances.get(name)

    def fleet_events(self) -> AsyncIterator[FleetEvent]:
        """A snapshot, then changes and connection states; runs until the consumer stops."""
        return self.hub.events()

    async def preview(self, display_name: str) -> tuple[str, tuple[int, int] | None]:
        """The name and port pair a new instance with ``display_name`` would get (no pair when
        new instances are private).

        Raises:
            ValidationFailed: The display name yields no name, or the name is taken.
            PortRangeExhausted: No pair is free (NodePort instances only).
        """
        if not display_name.strip():
            raise ValidationFailed("display_name", "display_name must not be blank")
        name = derive_name(display_name)
        if await self.store.instances.find(name) is not None:
            raise NameTaken(name)
        settings = await self.store.settings.get()
        if settings.default_exposure is Exposure.PRIVATE:
            return name, None
        used = await self.store.instances.used_ports()
        start, end = settings.port_range_start, settings.port_range_end
        chrome = lowest_free_pair(start, end, used)
        if chrome is None:
            raise PortRangeExhausted(start, end, settings.port_pairs)
        return name, (chrome, chrome + 1)

    async def urls(self, name: str) -> VncUrls:
        """Both noVNC URLs (node host from settings, else the first node's address)."""
        instance = await self.store.instances.get(name)
        if instance.exposure is Exposure.PRIVATE:
            note = "private: F opens a port-forward (c/t copy its URL)"
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
        from urllib.parse import urlparse

        return urlparse(self.kube.transport.server_url).hostname or "localhost"

    async def details(self, name: str, *, reread: bool = True) -> InstanceDetails:
        """Everything the detail pane shows (``reread=False``: only from what is watched)."""
        return await details_mod.details(self, name, reread=reread)

    async def delete_plan(self, name: str) -> list[ObjectRow]:
        """Every object a delete would destroy, with its current state."""
        return await details_mod.delete_plan(self, name)

    async def activity(self, limit: int = 200, instance: str | None = None) -> list[ActivityEntry]:
        """The activity log, newest first."""
        return await self.store.activity.recent(limit, instance)

    # -- lifecycle ---------------------------------------------------------------------------

    def create(self, spec: InstanceSpec) -> AsyncIterator[Progress]:
        """Create an instance, reporting each step; rolled back on failure or cancel."""
        return lifecycle.create(self, spec)

    def delete(self, name: str) -> AsyncIterator[Progress]:
        """Delete every object of the instance and its row."""
        return lifecycle.delete(self, name)

    async def start(self, name: str) -> None:
        """Scale to 1."""
        await self._simple(name, "start", InstanceStatus.STARTING, InstanceStatus.RUNNING, 1)

    async def stop(self, name: str) -> None:
        """Scale to 0; the PVCs (the data) stay."""
        await self._simple(name, "stop", InstanceStatus.STOPPING, InstanceStatus.STOPPED, 0)

    async def restart(self, name: str) -> None:
        """Roll the pod (Recreate: the old pod stops, a new one starts)."""
        instance = await self.store.instances.get(name)
        if instance.status is InstanceStatus.STOPPED:
            raise ValidationFailed("status", f"{name} is stopped; start it instead")
        await self._simple(name, "restart", InstanceStatus.RESTARTING, InstanceStatus.RUNNING, None)

    # -- edits -------------------------------------------------------------------------------

    async def update_config(self, name: str, text: str | None, *, restart: bool) -> Instance:
        """Store a new ``clawdbot.json`` and rewrite the ConfigMap.

        The file is mounted by subPath, which a running pod never sees change: pass
        ``restart=True`` to roll the pod so it reads the new file.
        """
        self.require_writable(f"edit the config of {name}")
        try:
            config = validate_clawdbot_config(text)
        except ValueError as exc:
            raise ValidationFailed("clawdbot_config", str(exc)) from None
        async with self.locks.hold(name, "edit config") as calls:
            instance = await self.store.instances.set_config(name, config)
            await self.kube.instances.replace_configmap(instance)
            if restart and instance.status is InstanceStatus.RUNNING:
                await self.kube.deployments.rollout_restart(name)
            await self.log_activity(
                "edit config", Outcome.OK, name, "restarted" if restart else "not restarted", calls
            )
        return instance

    async def update_resources(self, name: str, resources: Resources) -> Instance:
        """Patch the Deployment's requests/limits, then store them."""
        self.require_writable(f"change the resources of {name}")
        async with self.locks.hold(name, "resources") as calls:
            await self.kube.deployments.patch_deployment_resources(name, resources)
            instance = await self.store.instances.set_resources(name, resources)
            await self.log_activity(
                "resources",
                Outcome.OK,
                name,
                f"cpu {resources.cpu_request}/{resources.cpu_limit}, "
                f"memory {resources.memory_request}/{resources.memory_limit}",
                calls,
            )
        return instance

    async def update_storage(self, name: str, storage: Storage) -> Instance:
        """Grow PVCs; shrinking is refused before anything is sent."""
        self.require_writable(f"resize the volumes of {name}")
        instance = await self.store.instances.get(name)
        old, new = instance.storage.sizes(), storage.sizes()
        for role, size in new.items():
            if size < old[role]:
                raise ValidationFailed(
                    f"storage_{role}",
                    f"storage_{role} cannot shrink from {getattr(instance.storage, role)} to "
                    f"{getattr(storage, role)} (Kubernetes volumes only grow)",
                )
        names = object_names(name)
        async with self.locks.hold(name, "resize") as calls:
            for role, size in new.items():
                if size > old[role]:
                    await self.kube.instances.resize_pvc(
                        names[f"pvc_{role}"], getattr(storage, role)
                    )
            updated = await self.store.instances.set_storage(name, storage)
            await self.log_activity("resize", Outcome.OK, name, None, calls)
        return updated

    async def set_override(self, name: str, provider: Provider, key: SecretStr | None) -> Instance:
        """Set or clear a per-instance key and rewrite the Secret.

        Env vars are read when the container starts: restart the pod for it to see the change.
        """
        self.require_writable(f"change the keys of {name}")
        async with self.locks.hold(name, "keys") as calls:
            instance = await self.store.instances.set_override(name, provider, key)
            await self.kube.instances.replace_secret(instance, await self.effective_keys(name))
            await self.log_activity(
                "keys",
                Outcome.OK,
                name,
                f"{provider.label} key {'set' if key else 'cleared (global)'}",
                calls,
            )
        return instance

    # -- settings ----------------------------------------------------------------------------

    async def get_settings(self) -> GlobalSettings:
        """The global settings."""
        return await self.store.settings.get()

    async def update_settings(self, changes: dict[str, str | None]) -> GlobalSettings:
        """Validate and store settings (defaults apply to new instances only)."""
        self.require_writable("change settings")
        proposed = await self.store.settings.validate(changes)
        await self._check_range_keeps_instances(proposed)
        result = await self.store.settings.update(changes)
        shown = ", ".join(f"{k}={v or '(default)'}" for k, v in changes.items())
        await self.log_activity("settings", Outcome.OK, None, shown)
        return result

    async def _check_range_keeps_instances(self, proposed: GlobalSettings) -> None:
        start, end = proposed.port_range_start, proposed.port_range_end
        outside = [
            i.name
            for i in await self.store.instances.list()
            if (pair := i.node_ports) is not None and not start <= pair[0] < pair[1] <= end
        ]
        if outside:
            raise ValidationFailed(
                "port_range_start",
                f"{start}-{end} leaves out the ports of {', '.join(outside[:5])}",
            )

    async def set_global_key(self, provider: Provider, key: SecretStr | None) -> list[str]:
        """Set or clear a global key; rewrite the Secret of every instance that inherits it.

        Returns:
            The names of the instances that inherit it and are not stopped (they need a restart
            to see it).
        """
        self.require_writable("change a global key")
        if key is not None:
            try:
                check_api_key(provider, key)
            except ValueError as exc:
                raise ValidationFailed(provider.value, str(exc)) from None
        await self.store.settings.set_key(provider, key)
        inheriting = [i for i in await self.store.instances.list() if provider not in i.overrides]
        async with self.locks.hold("(settings)", "global key") as calls:
            globals_ = await self.store.settings.keys()
            failures: list[str] = []

            async def rewrite(instance: Instance) -> None:
                overrides = await self.store.instances.overrides(instance.name)
                try:
                    await self.kube.instances.replace_secret(
                        instance, manifests.effective_keys(overrides, globals_)
                    )
                except KubeError as exc:
                    failures.append(f"{instance.name}: {exc}")

            await asyncio.gather(*(rewrite(i) for i in inheriting))
            detail = f"{provider.label} global key {'set' if key else 'cleared'}; " + (
                f"{len(inheriting)} secrets rewritten" if not failures else "; ".join(failures)
            )
            await self.log_activity(
                "global key", Outcome.FAILED if failures else Outcome.OK, None, detail, calls
            )
        if failures:
            raise OperationFailed(
                "(settings)",
                "global key",
                "rewrite secrets",
                "; ".join(failures),
                "The key is saved; run repair to rewrite the remaining secrets.",
            )
        # A stopped instance reads the new key when it starts: it needs no restart (and restart
        # refuses it).
        return [i.name for i in inheriting if i.status is not InstanceStatus.STOPPED]

    async def global_key_sources(self) -> list[KeySource]:
        """The global keys, masked."""
        keys = await self.store.settings.keys()
        return [
            KeySource(
                provider=p,
                source="global" if p in keys else "none",
                masked=mask_key(keys.get(p)),
            )
            for p in Provider
        ]

    # -- drift, advice, logs -----------------------------------------------------------------

    async def drift(self) -> DriftReport:
        """Compare every record with the cluster."""
        return await drift_mod.find_drift(self)

    async def repair(self, items: Sequence[DriftItem]) -> RepairResult:
        """Re-apply what the records say for ``items``; delete orphans among them.

        Returns what was really done (objects already gone are not counted as repaired).
        """
        self.require_writable("repair drift")
        return await drift_mod.repair(self, items)

    async def adopt_plan(self, names: Sequence[str], *, everything: bool = False) -> AdoptPlan:
        """What adopting ``names`` (or every labelled instance) would do; reads only."""
        return await adopt_mod.plan(self, names, everything=everything)

    async def adopt(self, names: Sequence[str], *, everything: bool = False) -> AdoptPlan:
        """Rebuild records from the cluster and take the objects over (see :mod:`.adopt`)."""
        from claworc_tui.services.adopt_apply import adopt

        return await adopt(self, names, everything=everything)

    async def sweep(self) -> list[str]:
        """Finish or flag operations a dead process left behind; return what was done."""
        if self.read_only_reason:
            return []
        return await drift_mod.sweep(self)

    async def apply_advice(self, name: str, code: str) -> str:
        """Apply one advice's action; return what was done."""
        return await advice_mod.apply(self, name, code)

    async def previous_log_tail(self, name: str, lines: int = 50) -> list[str]:
        """The last lines of the previous container (after a crash)."""
        return await advice_mod.previous_log_tail(self, name, lines)

    def follow_logs(self, name: str, options: LogOptions) -> AsyncIterator[LogEvent]:
        """Follow the instance's logs, across restarts and rollouts (see :mod:`.logs`)."""
        return self._follow(name, options)

    async def _follow(self, name: str, options: LogOptions) -> AsyncIterator[LogEvent]:
        await self.store.instances.get(name)  # NotFound for an unknown name
        async for event in follow_instance_logs(
            self.runtime, name, options, buffer_lines=self.log_buffer_lines
        ):
            yield event
