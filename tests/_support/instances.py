"""Instances made the way a user makes them: through the service, every step to the end."""

from __future__ import annotations

from typing import Any

from claworc_tui.models.instance import InstanceSpec
from claworc_tui.services import Services


async def make(services: Services, display: str, **fields: Any) -> None:
    """Create the instance called ``display`` (``fields``: the rest of its InstanceSpec) through
    ``services``, following its steps to the end as the UI and the CLI do."""
    async for _ in services.instances.create(InstanceSpec(display_name=display, **fields)):
        pass
