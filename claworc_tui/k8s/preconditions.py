"""Writes on the resourceVersion read, and never onto another claworc database's objects.

Several databases (operators on several hosts) may manage one namespace. Every update we make is
read → check → write: the object read must carry no owner id (made before owner ids) or ours,
and the write carries the ``metadata.resourceVersion`` read, so that a change by anyone else in
between is a 409 Conflict (the golden corpus: a PUT or patch with a stale resourceVersion is 409
``Conflict``, "the object has been modified"). A conflict is reported with who holds and last
wrote the object (its owner id and ``managedFields``), and nothing is written.

One exception keeps rollouts usable: a Deployment's (or a PVC's) status changes all the time (its
controller writes it), which also moves the resourceVersion. When the object read again is the
same but for ``status`` and bookkeeping metadata (resourceVersion, managedFields) — same spec,
data, labels, annotations and generation — the conflict came from a status write and the write
is tried again on the new resourceVersion. A label or annotation change does not move the
generation, so the generation alone would take it for a status write and overwrite it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from claworc_tui.k8s.errors import KubeConflict, KubeNotFound, KubeOwnedElsewhere
from claworc_tui.k8s.objects import Json
from claworc_tui.k8s.ownership import owner_of, who_changed
from claworc_tui.k8s.transport import KubeTransport

#: (api, method suffix, plural) by kind; kept in step with ``instance_ops.KINDS``.
_PLURALS = {
    "Deployment": "deployments",
    "PersistentVolumeClaim": "persistentvolumeclaims",
    "Secret": "secrets",
    "ConfigMap": "configmaps",
    "Service": "services",
}
_TRIES = 3


def resource_version(doc: Json) -> str | None:
    """The ``metadata.resourceVersion`` of ``doc``."""
    return (doc.get("metadata") or {}).get("resourceVersion")


#: Metadata that moves on every write, status writes included.
_BOOKKEEPING = frozenset({"resourceVersion", "managedFields"})


def intent(doc: Json) -> Json:
    """``doc`` without its status and the metadata every write moves: what a writer meant."""
    meta = {k: v for k, v in (doc.get("metadata") or {}).items() if k not in _BOOKKEEPING}
    return {**{k: v for k, v in doc.items() if k != "status"}, "metadata": meta}


class Preconditions(KubeTransport):
    """Ownership checks and conflict reports for writes (mixed into the client)."""

    owner_id: str | None = None
    """The database's owner id, labelled on every object we create or rewrite (see
    :data:`~.manifests.OWNER_LABEL`); None writes no owner label."""

    def check_owner(self, kind: str, doc: Json) -> None:
        """Refuse to write ``doc`` when another claworc database owns it.

        Raises:
            KubeOwnedElsewhere: It carries another database's owner id.
        """
        owner = owner_of(doc)
        if owner is None or self.owner_id is None or owner == self.owner_id:
            return
        name = str((doc.get("metadata") or {}).get("name", ""))
        raise KubeOwnedElsewhere(
            f"{kind} {name} belongs to claworc database {owner}, not to this one "
            f"({self.owner_id}): it was adopted or created there; nothing was changed. "
            "Manage it from that database, or adopt it here (claworc-tui adopt)",
            status=409,
            reason="Conflict",
            verb="update",
            resource=_PLURALS.get(kind, kind.lower()),
            name=name,
            namespace=self.namespace,
        )

    def conflict(self, kind: str, name: str, live: Json | None, exc: KubeConflict) -> KubeConflict:
        """The 409 of a write on a stale resourceVersion, saying who changed the object."""
        return KubeOwnedElsewhere(
            f"{kind} {name} was changed by someone else since it was read "
            f"({who_changed(live, self.owner_id)}); nothing was changed, look again and retry",
            status=409,
            reason="Conflict",
            verb=exc.verb,
            resource=exc.resource,
            name=name,
            namespace=self.namespace,
        )

    async def read_for_write(self, kind: str, name: str) -> Json:
        """Read ``kind/name`` and check it is ours to write (see :meth:`check_owner`).

        Raises:
            KubeNotFound: No such object.
            KubeOwnedElsewhere: Another database owns it.
        """
        from claworc_tui.k8s.instance_ops import KINDS

        api, suffix, plural = KINDS[kind]
        doc = await self._call(
            "get", plural, f"read_namespaced_{suffix}", api=api, name=name, namespace=self.namespace
        )
        self.check_owner(kind, doc)
        return doc

    async def conditional_write(
        self,
        kind: str,
        name: str,
        write: Callable[[Json], Awaitable[Json]],
        *,
        read: Json | None = None,
    ) -> Json:
        """Run ``write(live)`` on a fresh, checked read; retry only after status-only changes.

        Args:
            kind: The object's kind.
            name: Its name.
            write: ``async (live: Json) -> Json``: builds the body from ``live`` (with its
                resourceVersion) and makes the call.
            read: The object already read for this write, if any.

        Raises:
            KubeOwnedElsewhere: Another database owns it, or another writer changed its spec or
                metadata since it was read.
        """
        live = read if read is not None else await self.read_for_write(kind, name)
        for attempt in range(_TRIES):
            try:
                return await write(live)
            except KubeConflict as exc:
                try:
                    fresh = await self.read_for_write(kind, name)
                except KubeNotFound:
                    raise self.conflict(kind, name, None, exc) from None
                status_only = intent(fresh) == intent(live)
                if not status_only or attempt == _TRIES - 1:
                    raise self.conflict(kind, name, fresh, exc) from None
                live = fresh
        raise AssertionError("unreachable")  # pragma: no cover
