"""Which Docker objects are this database's: the one ownership rule of the Docker backend.

As on Kubernetes (:mod:`claworc_tui.k8s.ownership`): an object is ours when it carries
``managed-by=claworc``, ``app={name}`` and this database's owner id. One with another owner is
another database's; one with no owner label (made before owner ids) is *legacy*: shown as owned
elsewhere, never changed or deleted from here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from claworc_tui.k8s.manifests import MANAGED_BY, MANAGER, OWNER_LABEL


def is_ours(labels: Mapping[str, Any] | None, name: str, owner: str | None) -> bool:
    """True when ``labels`` are those of instance ``name`` of the database ``owner``.

    ``owner`` None (read-only tooling that knows no owner) accepts any owner.
    """
    labels = labels or {}
    if labels.get(MANAGED_BY) != MANAGER or labels.get("app") != name:
        return False
    return owner is None or labels.get(OWNER_LABEL) == owner


def filters(**labels: str) -> str:
    """The ``filters`` parameter selecting our ``managed-by`` label (and ``labels``)."""
    wanted = [f"{MANAGED_BY}={MANAGER}", *(f"{k}={v}" for k, v in labels.items())]
    return json.dumps({"label": wanted})


def whose(labels: Mapping[str, Any] | None) -> str:
    """Who an object we may not touch belongs to, for the message."""
    labels = labels or {}
    if labels.get(MANAGED_BY) != MANAGER:
        return "not made by claworc"
    owner = labels.get(OWNER_LABEL)
    return f"claworc database {owner}" if owner else "no claworc database (legacy, no owner label)"


@dataclass(frozen=True)
class Ours:
    """The Docker objects that carry our label, by instance name."""

    containers: dict[str, dict[str, Any]]
    """Instance name → the summary (``GET /containers/json``) of the container that is its:
    named ``claworc-{name}``, labelled ``app={name}`` and this database's owner."""
    volumes: dict[str, list[str]]
    """Instance name → its volume names (this database's owner), sorted."""
    strays: tuple[dict[str, Any], ...] = ()
    """Every other container with our ``managed-by`` label (another owner, no owner, or a
    name that is not the instance's — a temporary one a dead recreate left)."""
