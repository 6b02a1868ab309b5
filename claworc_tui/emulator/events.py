"""Recording core/v1 Events, aggregated by (object, reason, message) like the EventCorrelator."""

from __future__ import annotations

import copy
import time

from .errors import ApiError
from .resources import core
from .rest import Api
from .store import Obj, now_rfc3339

_EVENTS = core("events")


class Recorder:
    def __init__(self, api: Api, node: str) -> None:
        self.api = api
        self.node = node
        self._seen: dict[tuple[str, ...], str] = {}

    def _manager(self, component: str) -> str:
        if component == "kubelet":
            return self.api.config.kubelet_manager
        return "kube-scheduler" if component == "default-scheduler" else "kube-controller-manager"

    def emit(
        self,
        obj: Obj,
        type_: str,
        reason: str,
        message: str,
        component: str,
        field_path: str | None = None,
    ) -> None:
        m = obj.get("metadata") or {}
        ns = m.get("namespace") or "default"
        key = (m.get("uid", ""), type_, reason, message, component, field_path or "")
        now = now_rfc3339()
        name = self._seen.get(key)
        existing = self.api.store.get(_EVENTS, ns, name) if name else None
        if existing is not None:
            ev = copy.deepcopy(existing)
            ev["count"] = int(ev.get("count", 1)) + 1
            ev["lastTimestamp"] = now
            with self.api.acting(self._manager(component)):
                self.api.write(_EVENTS, ev)
            return
        ref = {
            "kind": obj.get("kind", ""),
            "namespace": ns,
            "name": m.get("name", ""),
            "uid": m.get("uid", ""),
            "apiVersion": obj.get("apiVersion", ""),
            "resourceVersion": m.get("resourceVersion", ""),
        }
        if field_path:
            ref["fieldPath"] = field_path
        source = {"component": component}
        if component == "kubelet":
            source["host"] = self.node
        name = f"{m.get('name', '')}.{time.time_ns():x}"
        event = {
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": type_,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": self.node if component == "kubelet" else "",
        }
        try:
            with self.api.acting(self._manager(component)):
                self.api.create(_EVENTS, ns, event)
        except ApiError:
            return
        self._seen[key] = name
