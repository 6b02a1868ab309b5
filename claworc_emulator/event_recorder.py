"""Recording core/v1 Events, aggregated by (object, reason, message) like the EventCorrelator."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime

from claworc_emulator.errors import ApiError
from claworc_emulator.object_store import Obj, now_rfc3339
from claworc_emulator.resources import core
from claworc_emulator.rest_api import RestApi

_EVENTS = core("events")


class EventRecorder:
    """Writes core/v1 Events as the components' recorders do: a repeat of the same (object,
    reason, message) bumps ``count`` and ``lastTimestamp`` instead of creating a new Event.
    """

    def __init__(self, api: RestApi, node: str) -> None:
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
        scheduler = component == "default-scheduler"
        if existing is not None and scheduler:
            return  # (the events.k8s.io recorder updates its series only now and then)
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
        name = f"{m.get('name', '')}.{time.time_ns():x}"
        if scheduler:
            event = self._scheduler_event(name, ns, ref, type_, reason, message)
        else:
            event = self._core_event(name, ns, ref, type_, reason, message, component)
        try:
            with self.api.acting(self._manager(component)):
                self.api.create(_EVENTS, ns, event)
        except ApiError:
            return
        self._seen[key] = name

    def _scheduler_event(
        self, name: str, ns: str, ref: Obj, type_: str, reason: str, message: str
    ) -> Obj:
        """The scheduler writes events.k8s.io events: their core/v1 view."""
        stamp = datetime.now(UTC)
        return {
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "source": {},
            "firstTimestamp": None,
            "lastTimestamp": None,
            "type": type_,
            "eventTime": stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond:06d}Z",
            "action": "Binding" if reason == "Scheduled" else "Scheduling",
            "reportingComponent": "default-scheduler",
            "reportingInstance": f"default-scheduler-{self.api.config.node_hostname}",
        }

    def _core_event(
        self, name: str, ns: str, ref: Obj, type_: str, reason: str, message: str, component: str
    ) -> Obj:
        now = now_rfc3339()
        source = {"component": component}
        if component == "kubelet":
            source["host"] = self.node
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
        return event


def events_v1(core: Obj) -> Obj:
    """A core/v1 Event as events.k8s.io/v1 shows it."""
    out: Obj = {"kind": "Event", "apiVersion": "events.k8s.io/v1", "metadata": core["metadata"]}
    out["eventTime"] = core.get("eventTime")
    if core.get("series"):
        out["series"] = core["series"]
    for old, new in (
        ("reportingComponent", "reportingController"),
        ("reportingInstance", "reportingInstance"),
        ("action", "action"),
        ("reason", "reason"),
        ("involvedObject", "regarding"),
        ("related", "related"),
        ("message", "note"),
        ("type", "type"),
        ("source", "deprecatedSource"),
        ("firstTimestamp", "deprecatedFirstTimestamp"),
        ("lastTimestamp", "deprecatedLastTimestamp"),
        ("count", "deprecatedCount"),
    ):
        if (
            old in core and (core[old] or old in ("source", "firstTimestamp", "lastTimestamp"))
        ) or (old == "reportingComponent" and old in core):
            out[new] = core[old]
    return out
