"""Clone, redeploy, export and import, as methods of :class:`~.instances.InstanceService`.

A mixin, so the service keeps one surface for the TUI and the CLI while the logic lives in
:mod:`.clone`, :mod:`.redeploy` and :mod:`.records`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, cast

from claworc_tui.models.instance import InstanceSpec
from claworc_tui.services import clone as clone_mod
from claworc_tui.services import redeploy as redeploy_mod
from claworc_tui.services.views import Progress

if TYPE_CHECKING:
    from claworc_tui.services.instances import InstanceService


class FleetTools:
    """Clone and redeploy (mixed into ``InstanceService``)."""

    def _svc(self) -> InstanceService:
        return cast("InstanceService", self)

    async def clone_spec(self, source: str, display_name: str | None = None) -> InstanceSpec:
        """The spec of a clone of ``source``; without a display name, a free suggestion.

        Raises:
            InstanceNotFound: No such source.
            ValidationFailed: The name is invalid or taken.
        """
        svc = self._svc()
        if display_name is None:
            display_name = await clone_mod.suggest_name(svc, await svc.store.instances.get(source))
        return await clone_mod.clone_spec(svc, source, display_name)

    async def clone_note(self, source: str) -> str:
        """What a clone of ``source`` copies and what not (for the form and the CLI)."""
        return clone_mod.what_is_copied(await self._svc().store.instances.get(source))

    def clone(self, source: str, spec: InstanceSpec) -> AsyncIterator[Progress]:
        """Create the clone ``spec`` of ``source`` step by step (create's steps and rollback)."""
        return clone_mod.clone(self._svc(), source, spec)

    def redeploy(
        self,
        names: Sequence[str],
        image: str | None = None,
        *,
        wait: bool = True,
        ready_within: float = redeploy_mod.ROLLOUT_TIMEOUT,
    ) -> AsyncIterator[Progress]:
        """Set the image (or pull the same tag again) and roll the pods, the data kept."""
        return redeploy_mod.redeploy(
            self._svc(), names, image, wait=wait, ready_within=ready_within
        )
