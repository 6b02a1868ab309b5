"""Container logs as the kubelet serves them: instances per restart, tail/since/follow."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from claworc_emulator.errors import (
    FieldError,
    bad_request,
    forbidden_field,
    invalid,
    invalid_object,
)
from claworc_emulator.object_store import Obj
from claworc_emulator.resources import Resource, core
from claworc_emulator.rest_api import RestApi

_PODS = core("pods")
_LOG_OPTIONS = Resource("pods/log", "PodLogOptions")


def rfc3339nano(ts: datetime, nanos: int = 0) -> str:
    """The kubelet's timestamp prefix (RFC 3339 with nanoseconds, trailing zeros trimmed)."""
    base = ts.strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{ts.microsecond:06d}{nanos % 1000:03d}".rstrip("0")
    return f"{base}.{frac}Z" if frac else f"{base}Z"


@dataclass
class ContainerRun:
    """The log of one run of a container (a restart starts a new run)."""

    # (when, text, the nanoseconds below the microsecond of when)
    lines: list[tuple[datetime, str, int]] = field(default_factory=list)
    finished: bool = False


class ContainerLog:
    """Every run of one container's log, with an event that wakes followers on change."""

    def __init__(self) -> None:
        self.instances: list[ContainerRun] = [ContainerRun()]
        self.changed = asyncio.Event()
        self.dropped = False

    def notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()


class LogStore:
    """Container logs by (namespace, pod, container), served as the kubelet serves ``pods/log``."""

    def __init__(self) -> None:
        self._logs: dict[tuple[str, str, str], ContainerLog] = {}

    def log(self, ns: str, pod: str, container: str) -> ContainerLog:
        return self._logs.setdefault((ns, pod, container), ContainerLog())

    def append(self, ns: str, pod: str, container: str, lines: list[str]) -> None:
        log = self.log(ns, pod, container)
        stamp = time.time_ns()
        now = datetime.fromtimestamp(stamp // 1000 / 1e6, UTC)
        inst = log.instances[-1]
        for line in lines:
            inst.lines.append((now, line.rstrip("\n"), stamp % 1000 | 1))
        log.notify()

    def start_instance(self, ns: str, pod: str, container: str, index: int) -> None:
        """A container (re)started: its instance ``index`` (= restartCount) begins."""
        log = self.log(ns, pod, container)
        while len(log.instances) <= index:
            log.instances[-1].finished = True
            log.instances.append(ContainerRun())
        log.notify()

    def finish(self, ns: str, pod: str, container: str) -> None:
        log = self.log(ns, pod, container)
        log.instances[-1].finished = True
        log.notify()

    def drop_pod(self, ns: str, pod: str) -> None:
        for key in [k for k in self._logs if k[:2] == (ns, pod)]:
            log = self._logs.pop(key)
            log.dropped = True
            log.notify()

    def finish_all(self) -> None:
        for log in self._logs.values():
            log.notify()

    # -- the HTTP endpoint -----------------------------------------------------------------
    async def serve(
        self, request: web.Request, api: RestApi, ns: str, name: str, closing: asyncio.Event
    ) -> web.StreamResponse:
        q = request.query
        pod = api.get(_PODS, ns, name)
        opts = _options(q, name)
        container = _pick_container(pod, q.get("container", ""))
        if not (pod.get("spec") or {}).get("nodeName"):
            return web.Response(status=204)  # not scheduled yet: no content, no Content-Type
        index = _instance_index(pod, container, opts["previous"])
        log = self.log(ns, name, container)
        if index >= len(log.instances):
            return web.Response(body=b"", content_type="text/plain")
        inst = log.instances[index]
        lines = _select(inst.lines, opts)
        limit: int | None = opts["limitBytes"]
        body = b"".join(_render(line, opts["timestamps"]) for line in lines)
        if limit is not None:
            body = body[:limit]
        if not opts["follow"] or inst.finished or opts["previous"]:
            return web.Response(body=body, content_type="text/plain")
        resp = web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        sent = len(body)
        seen = len(inst.lines)
        try:
            if body:
                await resp.write(body)
            while not closing.is_set() and not log.dropped:
                if limit is not None and sent >= limit:
                    break
                if len(inst.lines) > seen:
                    chunk = b"".join(
                        _render(line, opts["timestamps"]) for line in inst.lines[seen:]
                    )
                    seen = len(inst.lines)
                    if limit is not None:
                        chunk = chunk[: limit - sent]
                    sent += len(chunk)
                    await resp.write(chunk)
                    continue
                if inst.finished:
                    break
                waiter = asyncio.ensure_future(log.changed.wait())
                closer = asyncio.ensure_future(closing.wait())
                try:
                    await asyncio.wait({waiter, closer}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiter.cancel()
                    closer.cancel()
            await resp.write_eof()
        except ConnectionError:  # the client went away mid-follow (aiohttp: "Connection lost")
            pass
        return resp


def _pick_container(pod: Obj, name: str) -> str:
    spec = pod.get("spec") or {}
    containers: list[str] = [c.get("name", "") for c in spec.get("containers") or []]
    init = [c.get("name", "") for c in spec.get("initContainers") or []]
    pod_name = pod["metadata"]["name"]
    if not name:
        if len(containers) == 1:
            return str(containers[0])
        if not containers:
            raise bad_request(f"a container name must be specified for pod {pod_name}")
        names = " ".join(init + containers)
        raise bad_request(
            f"a container name must be specified for pod {pod_name}, choose one of: [{names}]"
        )
    if name not in containers + init:
        raise bad_request(f"container {name} is not valid for pod {pod_name}")
    return name


def _options(q: Any, name: str) -> dict[str, Any]:
    def num(key: str) -> int | None:
        if key not in q:
            return None
        try:
            return int(q[key])
        except ValueError as exc:
            raise bad_request(f'strconv.ParseInt: parsing "{q[key]}": invalid syntax') from exc

    since_time = None
    if q.get("sinceTime"):
        try:
            since_time = datetime.fromisoformat(q["sinceTime"].replace("Z", "+00:00"))
        except ValueError as exc:
            raise bad_request(
                f'parsing time "{q["sinceTime"]}" as "2006-01-02T15:04:05Z07:00": cannot parse '
                f'"{q["sinceTime"]}" as "2006"'
            ) from exc
    since_seconds = num("sinceSeconds")
    errs: list[FieldError] = []
    if since_seconds is not None and since_seconds < 1:
        errs.append(invalid("sinceSeconds", since_seconds, "must be greater than 0"))
    tail, limit = num("tailLines"), num("limitBytes")
    if tail is not None and tail < 0:
        errs.append(invalid("tailLines", tail, "must be greater than or equal to 0"))
    if limit is not None and limit < 1:
        errs.append(invalid("limitBytes", limit, "must be greater than 0"))
    if since_seconds is not None and since_time is not None:
        errs.append(
            forbidden_field("[]", "at most one of `sinceTime` or `sinceSeconds` may be specified")
        )
    if errs:
        raise invalid_object(_LOG_OPTIONS, name, errs)
    if since_seconds is not None:
        since_time = datetime.now(UTC) - timedelta(seconds=since_seconds)
    truthy = {"1", "t", "T", "true", "TRUE", "True"}
    return {
        "follow": q.get("follow", "") in truthy,
        "previous": q.get("previous", "") in truthy,
        "timestamps": q.get("timestamps", "") in truthy,
        "tailLines": num("tailLines"),
        "limitBytes": num("limitBytes"),
        "since": since_time,
    }


def _status_of(pod: Obj, container: str) -> Obj | None:
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses"):
        for cs in status.get(key) or []:
            if cs.get("name") == container:
                return dict(cs)
    return None


def _instance_index(pod: Obj, container: str, previous: bool) -> int:
    """Which container instance the kubelet would read, or the kubelet's error as a 400."""
    pod_name = pod["metadata"]["name"]
    cs = _status_of(pod, container)
    if cs is None:
        raise bad_request(
            f'container "{container}" in pod "{pod_name}" is waiting to start: ContainerCreating'
        )
    restarts = int(cs.get("restartCount", 0))
    state, last = cs.get("state") or {}, cs.get("lastState") or {}
    if previous:
        if not last.get("terminated"):
            raise bad_request(  # (the kubelet's message, passed through with its newline)
                f'previous terminated container "{container}" in pod "{pod_name}" not found\n'
            )
        return restarts - 1
    if state.get("running") or state.get("terminated"):
        return restarts
    if last.get("terminated"):
        return restarts - 1
    reason = (state.get("waiting") or {}).get("reason", "")
    if reason == "ErrImagePull":
        reason = "image can't be pulled"
    elif reason == "ImagePullBackOff":
        reason = "trying and failing to pull image"
    raise bad_request(f'container "{container}" in pod "{pod_name}" is waiting to start: {reason}')


def _select(
    lines: list[tuple[datetime, str, int]], opts: dict[str, Any]
) -> list[tuple[datetime, str, int]]:
    if opts["since"] is not None:
        lines = [ln for ln in lines if ln[0] >= opts["since"]]
    tail = opts["tailLines"]
    if tail is not None:
        lines = lines[-tail:] if tail > 0 else []
    return lines


def _render(line: tuple[datetime, str, int], timestamps: bool) -> bytes:
    ts, text, nanos = line
    prefix = rfc3339nano(ts, nanos) + " " if timestamps else ""
    return f"{prefix}{text}\n".encode()
