"""Clone: a new instance with the same resources, storage sizes, config, image and key overrides.

The exposure is copied: a clone of a private instance is private (no NodePorts), a clone of a
NodePort instance gets NodePorts. What is *not* copied, and said so wherever a clone is offered:
the ports (a NodePort clone gets the lowest free pair, like any new instance) and the data (its
four PVCs start empty: nothing is copied between volumes). The overrides are unsealed from the
source's row and sealed again into the clone's; they are never shown. The clone is then made
by the normal step-by-step create, with its rollback.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from typing import cast

from pydantic import ValidationError

from claworc_tui.models.activity import Outcome
from claworc_tui.models.errors import NameTaken, ValidationFailed, from_pydantic
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import Instance, InstanceSpec
from claworc_tui.models.names import derive_name
from claworc_tui.services.ops import WriteGuard
from claworc_tui.services.store import Store
from claworc_tui.services.views import Progress

NOT_COPIED = "new ports, empty volumes (the data is not copied)"
NOT_COPIED_PRIVATE = "private: no NodePorts, empty volumes (the data is not copied)"


def _not_copied(exposure: Exposure) -> str:
    return NOT_COPIED_PRIVATE if exposure is Exposure.PRIVATE else NOT_COPIED


def what_is_copied(source: Instance) -> str:
    """One line for the user: what a clone of ``source`` takes over and what not."""
    keys = (
        "key overrides (" + ", ".join(sorted(p.label for p in source.overrides)) + ")"
        if source.overrides
        else "no key overrides (the global keys apply)"
    )
    image = f"image {source.image}" if source.image else "the settings' image"
    if source.exposure is Exposure.PRIVATE:
        return (
            f"Copied: resources, storage sizes, clawdbot.json, {image}, {keys}, "
            "the exposure (private: no NodePorts). "
            "New: empty volumes (the data is not copied)."
        )
    return (
        f"Copied: resources, storage sizes, clawdbot.json, {image}, {keys}, "
        "the exposure (NodePorts). "
        "New: its own ports, and empty volumes (the data is not copied)."
    )


@dataclass(eq=False)
class CloneService:
    """Clones of an instance, made by the runtime's own create."""

    store: Store
    guard: WriteGuard
    create: Callable[[InstanceSpec], AsyncIterator[Progress]]
    """The runtime's step-by-step create (with its rollback)."""

    async def spec(self, source: str, display_name: str | None = None) -> InstanceSpec:
        """The spec of a clone of ``source``; without a display name, a free suggestion.

        Raises:
            InstanceNotFound: No such source.
            ValidationFailed: The name is invalid or taken.
        """
        if display_name is None:
            display_name = await self.suggest_name(await self.store.instances.get(source))
        return await self.clone_spec(source, display_name)

    async def note(self, source: str) -> str:
        """What a clone of ``source`` copies and what not (for the form and the CLI)."""
        return what_is_copied(await self.store.instances.get(source))

    async def suggest_name(self, source: Instance) -> str:
        """``"<display name> copy"``, or ``"… copy 2"``, ``"… copy 3"`` … whichever is free."""
        base = f"{source.display_name} copy"
        for number in range(1, 100):
            candidate = base if number == 1 else f"{base} {number}"
            try:
                if await self.store.instances.find(derive_name(candidate)) is None:
                    return candidate
            except ValidationFailed:
                break
        return base

    async def clone_spec(self, source_name: str, display_name: str) -> InstanceSpec:
        """The spec of a clone of ``source_name`` called ``display_name``.

        Raises:
            InstanceNotFound: No such source.
            ValidationFailed: The display name is invalid, or its name is taken (``NameTaken``).
        """
        source = await self.store.instances.get(source_name)
        name = derive_name(display_name)  # ValidationFailed for a name with no letters or digits
        if await self.store.instances.find(name) is not None:
            raise NameTaken(name)
        try:
            return InstanceSpec(
                display_name=display_name,
                resources=source.resources,
                storage=source.storage,
                clawdbot_config=source.clawdbot_config,
                api_keys=await self.store.instances.overrides(source_name),
                image=source.image,
                exposure=source.exposure,
            )
        except ValidationError as exc:
            raise from_pydantic(exc) from None

    async def clone(self, source_name: str, spec: InstanceSpec) -> AsyncIterator[Progress]:
        """Create ``spec`` (a clone of ``source_name``, possibly edited) step by step.

        The steps, the checks and the rollback are create's; the activity log also says where the
        clone came from.
        """
        self.guard.require_writable("clone an instance")
        source = await self.store.instances.get(source_name)
        if spec.exposure is None:
            # A form that rebuilt the spec without it: the clone still keeps the source's exposure
            # (a private source must never give a clone on NodePorts).
            spec = spec.model_copy(update={"exposure": source.exposure})
        created = cast(AsyncGenerator[Progress, None], self.create(spec))
        async with contextlib.aclosing(created):  # closed in this task if our consumer stops
            async for progress in created:
                yield progress
        await self.guard.log_activity(
            "clone",
            Outcome.OK,
            derive_name(spec.display_name),
            f"from {source.name}; {_not_copied(spec.exposure or source.exposure)}",
        )
