"""Object storage with one global resourceVersion counter and a bounded watch history."""

from __future__ import annotations

import copy
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from claworc_emulator.resources import Resource

Obj = dict[str, Any]


def now_rfc3339() -> str:
    """Now, as Kubernetes timestamps are written (seconds, UTC, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_META_ORDER = [
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
]


def canonical(obj: Obj) -> Obj:
    """The object with its keys in the apiserver's order (Go struct field order): kind,
    apiVersion, metadata first, metadata fields as ObjectMeta declares them."""
    out: Obj = {k: obj[k] for k in ("kind", "apiVersion", "metadata") if k in obj}
    out.update({k: v for k, v in obj.items() if k not in out})
    m = out.get("metadata")
    if isinstance(m, dict):
        rank = {k: i for i, k in enumerate(_META_ORDER)}
        out["metadata"] = dict(sorted(m.items(), key=lambda kv: rank.get(kv[0], len(rank))))
    return out


def meta(obj: Obj) -> dict[str, Any]:
    """``obj``'s metadata, created empty when missing."""
    m = obj.setdefault("metadata", {})
    assert isinstance(m, dict)
    return m


@dataclass
class Change:
    """One stored change, as kept in the watch history."""

    rv: int
    type: str  # ADDED / MODIFIED / DELETED
    res: Resource
    namespace: str
    obj: Obj
    prev: Obj | None


class Subscriber(Protocol):
    """Who the store tells about every change: watches and the controllers."""

    def push(self, change: Change) -> None: ...

    def expire(self, compacted: int) -> None: ...


class ObjectStore:
    """Every object by resource, namespace and name, with one resourceVersion counter (as etcd's
    revision) and a bounded history of changes from which watches resume.
    """

    def __init__(self, history_limit: int) -> None:
        self.rv = 0
        self.history_limit = max(1, history_limit)
        self.history: deque[Change] = deque()
        self.compacted = 0  # a watch may resume from any rv >= compacted
        self.etcd_compacted = 0  # continue tokens older than this are expired
        self._objs: dict[str, dict[tuple[str, str], Obj]] = {}
        self.subscribers: set[Subscriber] = set()

    # -- reading ---------------------------------------------------------------------------
    def get(self, res: Resource, ns: str, name: str) -> Obj | None:
        return self._objs.get(res.plural, {}).get((ns, name))

    def items(self, res: Resource, ns: str | None = None) -> list[Obj]:
        bucket = self._objs.get(res.plural, {})
        keys = sorted(k for k in bucket if ns is None or k[0] == ns)
        return [bucket[k] for k in keys]

    def iter_all(self) -> Iterator[tuple[str, Obj]]:
        for plural, bucket in self._objs.items():
            for obj in bucket.values():
                yield plural, obj

    def items_at(self, res: Resource, ns: str | None, rv: int) -> list[Obj]:
        """The objects as they were at ``rv`` (the watch cache's history, rolled back)."""
        bucket = dict(self._objs.get(res.plural, {}))
        for change in reversed(self.history):
            if change.rv <= rv:
                break
            if change.res.plural != res.plural:
                continue
            key = (change.namespace, meta(change.obj).get("name", ""))
            if change.prev is None:
                bucket.pop(key, None)
            else:
                bucket[key] = change.prev
        keys = sorted(k for k in bucket if ns is None or k[0] == ns)
        return [bucket[k] for k in keys]

    def namespace_exists(self, ns: str) -> bool:
        return ("", ns) in self._objs.get("namespaces", {})

    # -- writing ---------------------------------------------------------------------------
    def _bump(self) -> int:
        self.rv += 1
        return self.rv

    def create(self, res: Resource, obj: Obj) -> Obj:
        """ObjectStore a new object, filling the server-set metadata. Returns the stored object."""
        obj = copy.deepcopy(obj)
        obj["apiVersion"] = res.api_version
        obj["kind"] = res.kind
        m = meta(obj)
        m["uid"] = str(uuid.uuid4())
        m["creationTimestamp"] = now_rfc3339()
        if res.has_generation:
            m["generation"] = 1
        m["resourceVersion"] = str(self._bump())
        obj = canonical(obj)
        ns = m.get("namespace", "") if res.namespaced else ""
        self._objs.setdefault(res.plural, {})[(ns, m["name"])] = obj
        self._record(Change(self.rv, "ADDED", res, ns, obj, None))
        return obj

    def update(self, res: Resource, obj: Obj) -> Obj:
        """Replace a stored object (same namespace/name), bumping its resourceVersion."""
        obj = copy.deepcopy(obj)
        m = meta(obj)
        ns = m.get("namespace", "") if res.namespaced else ""
        bucket = self._objs.setdefault(res.plural, {})
        prev = bucket[(ns, m["name"])]
        m["resourceVersion"] = str(self._bump())
        obj = canonical(obj)
        bucket[(ns, m["name"])] = obj
        self._record(Change(self.rv, "MODIFIED", res, ns, obj, prev))
        return obj

    def delete(self, res: Resource, ns: str, name: str) -> Obj:
        """Remove an object now. The DELETED event carries the object at a new resourceVersion."""
        prev = self._objs[res.plural].pop((ns, name))
        obj = copy.deepcopy(prev)
        meta(obj)["resourceVersion"] = str(self._bump())
        self._record(Change(self.rv, "DELETED", res, ns, obj, prev))
        return obj

    def _record(self, change: Change) -> None:
        self.history.append(change)
        while len(self.history) > self.history_limit:
            self.compacted = self.history.popleft().rv
        for sub in list(self.subscribers):
            sub.push(change)

    # -- history ---------------------------------------------------------------------------
    def since(self, rv: int) -> list[Change]:
        return [c for c in self.history if c.rv > rv]

    def too_old(self, rv: int) -> bool:
        return rv < self.compacted

    def start_cache(self) -> None:
        """The watch cache starts here: what came before (the bootstrap) is not replayed."""
        self.history.clear()
        self.compacted = self.rv

    def compact_etcd(self) -> None:
        """``etcdctl compact``: old continue tokens expire; the watch cache keeps its window."""
        self.etcd_compacted = self.rv

    def force_gone(self) -> None:
        """Compact the whole history: every older resourceVersion becomes too old."""
        self.history.clear()
        self.compacted = self.rv
        for sub in list(self.subscribers):
            sub.expire(self.compacted)
