"""The global settings and keys as the UI and the CLI read and change them, and what a new
instance would be called (its name and port pair follow from the settings)."""

from __future__ import annotations

from dataclasses import dataclass

from claworc_tui.db.ports import lowest_free_pair
from claworc_tui.models.activity import Outcome
from claworc_tui.models.errors import NameTaken, PortRangeExhausted, ValidationFailed
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import Provider
from claworc_tui.models.names import derive_name
from claworc_tui.models.secrets import mask_key
from claworc_tui.models.settings import GlobalSettings
from claworc_tui.services.ops import WriteGuard
from claworc_tui.services.store import Store
from claworc_tui.services.views import KeySource


@dataclass(eq=False)
class SettingsService:
    """Reads and validated changes of the global settings; the masked global keys."""

    store: Store
    guard: WriteGuard

    async def get_settings(self) -> GlobalSettings:
        """The global settings."""
        return await self.store.settings.get()

    async def update_settings(self, changes: dict[str, str | None]) -> GlobalSettings:
        """Validate and store settings (defaults apply to new instances only)."""
        self.guard.require_writable("change settings")
        proposed = await self.store.settings.validate(changes)
        await self._check_range_keeps_instances(proposed)
        result = await self.store.settings.update(changes)
        shown = ", ".join(f"{k}={v or '(default)'}" for k, v in changes.items())
        await self.guard.log_activity("settings", Outcome.OK, None, shown)
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
