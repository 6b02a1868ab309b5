"""Forget: drop this database's stale record of an instance another database adopted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from claworc_tui.models.activity import Outcome
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.services.kube_only import not_on_docker

if TYPE_CHECKING:
    from claworc_tui.services.instances import InstanceService


async def forget(svc: InstanceService, name: str) -> str:
    """Drop this database's stale record of ``name`` whose objects another database owns now.

    The cluster is not touched. Refused unless every object of the name that exists belongs to
    another claworc database: one object that is this database's (a half-done take-over) or
    that carries no owner (made before owner ids) would be left as an orphan, which
    ``repair --delete-orphans`` deletes. The objects are read under the instance's lock.

    Raises:
        InstanceNotFound: No record ``name``.
        ValidationFailed: Some object is not another database's (or none exists).
    """
    if getattr(svc, "kube", None) is None:  # the Docker runtime
        raise not_on_docker("forget")
    svc.require_writable("forget a record")
    ours = svc.kube.owner_id
    async with svc.locks.hold(name, "forget") as calls:
        await svc.store.instances.get(name)
        found = await svc.kube.adopt.read_found(name)
        mine = [f"{o.kind}/{o.name}" for o in found.objects if o.owner in (None, ours)]
        half = bool(mine) and len(mine) < len(found.objects)  # some taken over, some not
        if not found.objects or mine:
            raise ValidationFailed(
                "name",
                f"{name}'s objects are not all owned by another database"
                + (f" ({', '.join(mine)} {'is' if len(mine) == 1 else 'are'} not)" if mine else "")
                + ": rm deletes it instead"
                + (f", or `claworc-tui adopt {name}` finishes a half-done adopt" if half else ""),
            )
        others = sorted({o.owner for o in found.objects if o.owner})
        await svc.store.instances.delete(name)
        detail = f"record dropped; its objects belong to {', '.join(others)}"
        await svc.log_activity("forget", Outcome.OK, name, detail, calls)
    return detail
