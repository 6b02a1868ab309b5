"""The parts of the instance service that each runtime does its own way.

Kubernetes and Docker create, delete, edit, inspect and repair an instance in different steps
(and roll back differently), so each has its own class for these; the composition
(:class:`~claworc_tui.services.instances.InstanceService`) holds whichever the runtime gives,
typed by the Protocols here. Everything else (start/stop/restart, settings, the fleet hub, logs,
advice, clones, records) is one class for both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from pydantic import SecretStr

from claworc_tui.models.instance import Instance, InstanceSpec, Provider, Resources, Storage
from claworc_tui.services.views import (
    DriftItem,
    DriftReport,
    InstanceDetails,
    ObjectRow,
    Progress,
    RepairResult,
    VncUrls,
)


class Lifecycle(Protocol):
    """Create and delete, step by step, with their rollback."""

    def create(self, spec: InstanceSpec) -> AsyncIterator[Progress]:
        """Create an instance, reporting each step; rolled back on failure or cancel."""
        ...

    def delete(self, name: str) -> AsyncIterator[Progress]:
        """Delete every object of the instance, then its row."""
        ...


class Edits(Protocol):
    """Changes to an instance's configuration and to the keys it reads."""

    async def update_config(self, name: str, text: str | None, *, restart: bool) -> Instance:
        """Store ``clawdbot.json`` and rewrite it where the instance reads it."""
        ...

    async def update_resources(self, name: str, resources: Resources) -> Instance:
        """Apply new requests/limits and store them."""
        ...

    async def update_storage(self, name: str, storage: Storage) -> Instance:
        """Store (and where the runtime can, apply) new volume sizes."""
        ...

    async def set_override(self, name: str, provider: Provider, key: SecretStr | None) -> Instance:
        """Set or clear a per-instance key."""
        ...

    async def set_global_key(self, provider: Provider, key: SecretStr | None) -> list[str]:
        """Set or clear a global key; the instances that need a restart to see it."""
        ...


class Inspection(Protocol):
    """What the detail pane and the delete confirmation show, and where the pages are."""

    async def details(self, name: str, *, reread: bool = True) -> InstanceDetails:
        """Everything the detail pane shows."""
        ...

    async def delete_plan(self, name: str) -> list[ObjectRow]:
        """Every object a delete destroys, with its state."""
        ...

    async def urls(self, name: str) -> VncUrls:
        """Both noVNC URLs."""
        ...


class Drift(Protocol):
    """The records compared with what runs, and the repair."""

    async def find_drift(self) -> DriftReport:
        """Every difference."""
        ...

    async def repair(self, items: Sequence[DriftItem]) -> RepairResult:
        """Carry out the items' repairs; count only what really changed."""
        ...


class Sweeper(Protocol):
    """The start-up sweep."""

    async def sweep(self) -> list[str]:
        """Finish or flag what a dead process left mid-operation; what was done."""
        ...
