"""InstanceService: the one API the TUI and the CLI drive, composed of one service per concern.

It knows nothing of Textual, and holds no logic of its own: each method is one line handing the
call to the service that owns it (see :mod:`claworc_tui.services` for who owns what). The parts
are built here, each with only the collaborators it needs, so a part never reaches back into
this class (and no module of the package imports this one but the composition).

The database is the source of truth for configuration and intent; the cluster for what runs.
Every write checks read-only mode first, runs under the instance's operation lock, records its
Kubernetes calls, and ends with one activity-log entry (never a key): :class:`.ops.WriteGuard`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from pydantic import SecretStr

from claworc_tui.k8s.client import KubeClient
from claworc_tui.models.activity import ActivityEntry
from claworc_tui.models.instance import Instance, InstanceSpec, Provider, Resources, Storage
from claworc_tui.models.settings import GlobalSettings
from claworc_tui.services.adopt import AdoptPlanner
from claworc_tui.services.adopt_apply import AdoptService
from claworc_tui.services.advice import AdviceService
from claworc_tui.services.clone import CloneService
from claworc_tui.services.details import DetailsService
from claworc_tui.services.drift import DriftService
from claworc_tui.services.edits import EditService
from claworc_tui.services.errors import LiveStatusUnavailable
from claworc_tui.services.fleet import FleetHub
from claworc_tui.services.global_settings import SettingsService
from claworc_tui.services.lifecycle import LifecycleService
from claworc_tui.services.logs import LogService
from claworc_tui.services.ops import OperationLocks, WriteGuard
from claworc_tui.services.parts import Drift, Edits, Inspection, Lifecycle, Sweeper
from claworc_tui.services.power import PowerService
from claworc_tui.services.redeploy import ROLLOUT_TIMEOUT, RedeployService
from claworc_tui.services.runtime import KubeRuntime, Runtime
from claworc_tui.services.store import Store
from claworc_tui.services.sweep import SweepService
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

if TYPE_CHECKING:
    from claworc_tui.services.records import RecordsService


class InstanceService:
    """Lifecycle, settings, live status, drift and the activity log of every instance.

    Args:
        store: The open records.
        kube: A started Kubernetes client (None: the Docker runtime, see
            :class:`~.docker_service.DockerInstanceService`).
        read_only_reason: Why writes are refused (``--read-only`` or RBAC), or None.
        log_buffer_lines: Lines a log follow keeps for a slow consumer.
        runtime: What runs the instances (default: Kubernetes, through ``kube``).
    """

    def __init__(
        self,
        store: Store,
        kube: KubeClient | None,
        *,
        read_only_reason: str | None = None,
        log_buffer_lines: int = 10_000,
        runtime: Runtime | None = None,
    ) -> None:
        if runtime is None:
            assert kube is not None, "the Kubernetes runtime needs a client"
            runtime = KubeRuntime(kube)
        self.store = store
        self.runtime: Runtime = runtime
        """What runs the instances (see :mod:`.runtime`)."""
        self.guard = WriteGuard(store.activity, read_only_reason)
        self.hub = FleetHub(store.instances, runtime)
        self.power = PowerService(store, runtime, self.guard)
        self.settings = SettingsService(store, self.guard)
        self.logs = LogService(store, runtime, self.hub, kube, log_buffer_lines)
        # Bound methods: a runtime's own create and resize (Docker overrides them) are used.
        self.advisor = AdviceService(
            store, self.guard, self.update_resources, self.logs.previous_tail
        )
        self.clones = CloneService(store, self.guard, self.create)
        self._records: RecordsService | None = None
        self._kube_or_none = kube
        # The parts each runtime does its own way (see :mod:`.parts`); Docker's are set by
        # DockerInstanceService.
        self.lifecycle: Lifecycle
        self.edits: Edits
        self.inspection: Inspection
        self.drift_check: Drift
        self.sweeper: Sweeper
        if kube is not None:
            self._compose_kube(store, kube)

    def _compose_kube(self, store: Store, kube: KubeClient) -> None:
        """The Kubernetes parts, and those that exist on Kubernetes only (adopt, redeploy)."""
        self.kube = kube
        self.lifecycle = LifecycleService(store, kube, self.guard)
        self.edits = EditService(store, kube, self.guard)
        self.inspection = DetailsService(store, kube, self.hub)
        sweeper = self.sweeper = SweepService(store, kube, self.guard)
        self.adoption = AdoptService(store, kube, self.guard, AdoptPlanner(store, kube))
        self.drift_check = DriftService(store, kube, self.hub, self.guard, sweeper, self.adoption)
        self.redeploys = RedeployService(store, kube, self.guard)

    @property
    def records(self) -> RecordsService:
        """Export and import of the records (see :mod:`.records`).

        Built on first use: the passphrase cipher it imports (``cryptography``, scrypt) is not
        loaded by a start that never exports or imports.
        """
        if self._records is None:
            from claworc_tui.services.records import RecordsService

            self._records = RecordsService(self.store, self._kube_or_none, self.guard)
        return self._records

    @property
    def read_only_reason(self) -> str | None:
        """Why writes are refused (``--read-only`` or RBAC), or None."""
        return self.guard.read_only_reason

    @property
    def locks(self) -> OperationLocks:
        """The operation locks every write of this service runs under."""
        return self.guard.locks

    def require_writable(self, action: str) -> None:
        """Raise :class:`~.errors.ReadOnlyMode` when writes are not allowed."""
        self.guard.require_writable(action)

    async def aclose(self) -> None:
        """Stop the shared watch."""
        await self.hub.aclose()

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
        """The name and port pair a new instance would get (see :class:`.SettingsService`)."""
        return await self.settings.preview(display_name)

    async def urls(self, name: str) -> VncUrls:
        """Both noVNC URLs (node host from settings, else the first node's address)."""
        return await self.inspection.urls(name)

    async def details(self, name: str, *, reread: bool = True) -> InstanceDetails:
        """Everything the detail pane shows (``reread=False``: only from what is watched)."""
        return await self.inspection.details(name, reread=reread)

    async def delete_plan(self, name: str) -> list[ObjectRow]:
        """Every object a delete would destroy, with its current state."""
        return await self.inspection.delete_plan(name)

    async def activity(self, limit: int = 200, instance: str | None = None) -> list[ActivityEntry]:
        """The activity log, newest first."""
        return await self.store.activity.recent(limit, instance)

    # -- lifecycle ---------------------------------------------------------------------------

    def create(self, spec: InstanceSpec) -> AsyncIterator[Progress]:
        """Create an instance, reporting each step; rolled back on failure or cancel."""
        return self.lifecycle.create(spec)

    def delete(self, name: str) -> AsyncIterator[Progress]:
        """Delete every object of the instance and its row."""
        return self.lifecycle.delete(name)

    async def start(self, name: str) -> None:
        """Run the instance (its data is where it was)."""
        await self.power.start(name)

    async def stop(self, name: str) -> None:
        """Stop the instance; its data stays."""
        await self.power.stop(name)

    async def restart(self, name: str) -> None:
        """Replace the instance's process (the pod, on Kubernetes)."""
        await self.power.restart(name)

    # -- edits -------------------------------------------------------------------------------

    async def update_config(self, name: str, text: str | None, *, restart: bool) -> Instance:
        """Store a new ``clawdbot.json`` and rewrite it where the instance reads it."""
        return await self.edits.update_config(name, text, restart=restart)

    async def update_resources(self, name: str, resources: Resources) -> Instance:
        """Apply new requests/limits, then store them."""
        return await self.edits.update_resources(name, resources)

    async def update_storage(self, name: str, storage: Storage) -> Instance:
        """Grow the volumes; shrinking is refused before anything is sent."""
        return await self.edits.update_storage(name, storage)

    async def set_override(self, name: str, provider: Provider, key: SecretStr | None) -> Instance:
        """Set or clear a per-instance key and rewrite where the instance reads it."""
        return await self.edits.set_override(name, provider, key)

    # -- settings ----------------------------------------------------------------------------

    async def get_settings(self) -> GlobalSettings:
        """The global settings."""
        return await self.settings.get_settings()

    async def update_settings(self, changes: dict[str, str | None]) -> GlobalSettings:
        """Validate and store settings (defaults apply to new instances only)."""
        return await self.settings.update_settings(changes)

    async def set_global_key(self, provider: Provider, key: SecretStr | None) -> list[str]:
        """Set or clear a global key; return the instances that need a restart to see it."""
        return await self.edits.set_global_key(provider, key)

    async def global_key_sources(self) -> list[KeySource]:
        """The global keys, masked."""
        return await self.settings.global_key_sources()

    # -- drift, adopt, advice, logs ----------------------------------------------------------

    async def drift(self) -> DriftReport:
        """Compare every record with the cluster."""
        return await self.drift_check.find_drift()

    async def repair(self, items: Sequence[DriftItem]) -> RepairResult:
        """Re-apply what the records say for ``items``; delete orphans among them."""
        return await self.drift_check.repair(items)

    async def adopt_plan(self, names: Sequence[str], *, everything: bool = False) -> AdoptPlan:
        """What adopting ``names`` (or every labelled instance) would do; reads only."""
        return await self.adoption.plan(names, everything=everything)

    async def adopt(self, names: Sequence[str], *, everything: bool = False) -> AdoptPlan:
        """Rebuild records from the cluster and take the objects over (see :mod:`.adopt`)."""
        return await self.adoption.adopt(names, everything=everything)

    async def forget(self, name: str) -> str:
        """Drop the stale record of an instance another database adopted; return what was done."""
        return await self.adoption.forget(name)

    async def sweep(self) -> list[str]:
        """Finish or flag operations a dead process left behind; return what was done."""
        return await self.sweeper.sweep()

    async def apply_advice(self, name: str, code: str) -> str:
        """Apply one advice's action; return what was done."""
        return await self.advisor.apply(name, code)

    async def previous_log_tail(self, name: str, lines: int = 50) -> list[str]:
        """The last lines of the previous container (after a crash)."""
        return await self.logs.previous_tail(name, lines)

    def follow_logs(self, name: str, options: LogOptions) -> AsyncIterator[LogEvent]:
        """Follow the instance's logs, across restarts and rollouts (see :mod:`.logs`)."""
        return self.logs.follow(name, options)

    # -- clone, redeploy ---------------------------------------------------------------------

    async def clone_spec(self, source: str, display_name: str | None = None) -> InstanceSpec:
        """The spec of a clone of ``source``; without a display name, a free suggestion."""
        return await self.clones.spec(source, display_name)

    async def clone_note(self, source: str) -> str:
        """What a clone of ``source`` copies and what not (for the form and the CLI)."""
        return await self.clones.note(source)

    def clone(self, source: str, spec: InstanceSpec) -> AsyncIterator[Progress]:
        """Create the clone ``spec`` of ``source`` step by step (create's steps and rollback)."""
        return self.clones.clone(source, spec)

    def redeploy(
        self,
        names: Sequence[str],
        image: str | None = None,
        *,
        wait: bool = True,
        ready_within: float = ROLLOUT_TIMEOUT,
    ) -> AsyncIterator[Progress]:
        """Set the image (or pull the same tag again) and roll the pods, the data kept."""
        return self.redeploys.redeploy(names, image, wait=wait, ready_within=ready_within)
