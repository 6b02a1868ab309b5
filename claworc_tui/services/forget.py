"""Forget: drop this database's stale record of an instance another database adopted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from claworc_tui.models.activity import Outcome
from claworc_tui.models.errors import ValidationFailed

if TYPE_CHECKING:
    from claworc_tui.services.instances import InstanceService


async def forget(svc: InstanceService, name: str) -> str:
    """Drop this database's stale record of ``name`` whose objects another database owns now.

    The cluster is not touched. Refused for a record whose objects are this database's (or
    made before owner ids): ``rm`` deletes those.

    Raises:
        InstanceNotFound: No record ``name``.
        ValidationFailed: Its objects are not owned elsewhere.
    """
    svc.require_writable("forget a record")
    await svc.store.instances.get(name)
    found = await svc.kube.read_found(name)
    others = {o for o in found.owners if o is not None and o != svc.kube.owner_id}
    if not others:
        raise ValidationFailed(
            "name", f"{name}'s objects are not owned by another database: rm deletes it instead"
        )
    async with svc.locks.hold(name, "forget") as calls:
        await svc.store.instances.delete(name)
        detail = f"record dropped; its objects belong to {', '.join(sorted(others))}"
        await svc.log_activity("forget", Outcome.OK, name, detail, calls)
    return detail
