"""Writes on the resourceVersion read, and never onto another claworc database's objects.

:class:`~.store.ObjectStore` makes every write this way; this module holds the pure helpers.

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

from claworc_tui.k8s.objects import Json


def resource_version(doc: Json) -> str | None:
    """The ``metadata.resourceVersion`` of ``doc``."""
    return (doc.get("metadata") or {}).get("resourceVersion")


#: Metadata that moves on every write, status writes included.
_BOOKKEEPING = frozenset({"resourceVersion", "managedFields"})


def intent(doc: Json) -> Json:
    """``doc`` without its status and the metadata every write moves: what a writer meant."""
    meta = {k: v for k, v in (doc.get("metadata") or {}).items() if k not in _BOOKKEEPING}
    return {**{k: v for k, v in doc.items() if k != "status"}, "metadata": meta}
