"""Whose an object is, and what the record held that the cluster does not: our annotations.

Kubernetes is the store every operator of a namespace shares, so each object we write says which
claworc database owns it and how to rebuild that database's record of it (``claworc-tui adopt``):

- label ``claworc.dev/owner`` and annotation of the same name: the owning database's id (the
  label lets a selector find them; the annotation survives a tool that rewrites labels);
- ``claworc.dev/display-name``: the display name (object names only hold the derived name);
- ``claworc.dev/exposure``: ``nodeport`` or ``private``;
- ``claworc.dev/key-overrides``: which providers have a per-instance key (names only; the keys
  themselves stay in the Secret alone);
- ``claworc.dev/nodeports``: the record's port pair, only for a private instance (a ClusterIP
  Service holds no NodePorts, the record still keeps its pair).

Everything else is already in the cluster: sizes on the PVCs, resources and image on the
Deployment, ``clawdbot.json`` in the ConfigMap, NodePorts on the Service.

An object with our ``managed-by`` label but no owner (made before owner ids) is *legacy*: no
database claims it, so any database may adopt it; once adopted it carries that database's id.
"""

from __future__ import annotations

from typing import Any

from claworc_tui.models.instance import Instance, Provider

OWNER_KEY = "claworc.dev/owner"
DISPLAY_NAME = "claworc.dev/display-name"
EXPOSURE = "claworc.dev/exposure"
KEY_OVERRIDES = "claworc.dev/key-overrides"
#: Written by databases before private instances stopped holding a pair; older objects may still
#: carry it, so a give-back restores it like the others (nothing writes it any more).
_LEGACY_NODE_PORTS = "claworc.dev/nodeports"
#: Every annotation a database writes onto an object (what an adopt's rollback restores).
OUR_ANNOTATIONS = (OWNER_KEY, DISPLAY_NAME, EXPOSURE, KEY_OVERRIDES, _LEGACY_NODE_PORTS)

#: Provider <-> the short name used in the overrides annotation.
_SHORT = {p: p.value.removesuffix("_api_key") for p in Provider}


def instance_annotations(instance: Instance) -> dict[str, str]:
    """The annotations every object of ``instance`` carries (the owner is added on write)."""
    out = {
        DISPLAY_NAME: instance.display_name,
        EXPOSURE: instance.exposure.value,
        KEY_OVERRIDES: ",".join(_SHORT[p] for p in Provider if p in instance.overrides),
    }
    return out


def parse_overrides(text: str | None) -> frozenset[Provider] | None:
    """The providers named by a ``key-overrides`` annotation (None: no annotation).

    The annotation may have been written by hand: words are stripped, empty and unknown ones
    ignored (``"anthropic, openai,,bogus"`` names two providers).
    """
    if text is None:
        return None
    by_short = {v: k for k, v in _SHORT.items()}
    words = (w.strip() for w in text.split(","))
    return frozenset(by_short[w] for w in words if w in by_short)


def owner_of(doc: dict[str, Any]) -> str | None:
    """The owner id an object carries (label first, then annotation); None for legacy ones.

    The one definition of ownership: every check (writes, deletes, orphans, adopt, drift) goes
    through it or :func:`owner_from`.
    """
    meta = doc.get("metadata") or {}
    return owner_from(meta.get("labels"), meta.get("annotations"))


def owner_from(labels: dict[str, Any] | None, annotations: dict[str, Any] | None) -> str | None:
    """:func:`owner_of` on an object's labels and annotations."""
    label = (labels or {}).get(OWNER_KEY)
    note = (annotations or {}).get(OWNER_KEY)
    return str(label or note) if (label or note) else None


def last_writer(doc: dict[str, Any]) -> str:
    """Who wrote the object last, from ``managedFields`` (manager and time), for messages."""
    entries = [e for e in (doc.get("metadata") or {}).get("managedFields") or [] if e]
    if not entries:
        return "an unknown writer"
    latest = max(entries, key=lambda e: str(e.get("time") or ""))
    when = f" at {latest['time']}" if latest.get("time") else ""
    return f"field manager {latest.get('manager') or '?'}{when}"


def who_changed(doc: dict[str, Any] | None, ours: str | None) -> str:
    """A short account of who holds or last changed ``doc``, for a conflict message."""
    if doc is None:
        return "it was deleted meanwhile"
    owner = owner_of(doc)
    whose = (
        "this database"
        if owner is not None and owner == ours
        else (f"claworc database {owner}" if owner else "no claworc database (legacy)")
    )
    return f"now owned by {whose}, last written by {last_writer(doc)}"
