"""Container logs as the kubelet serves them: instances per restart, tail/since/follow."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from .errors import bad_request
from .resources import core
from .rest import Api
from .store import Obj

_PODS = core("pods")


def rfc3339nano(ts: datetime) -> str:
    base = ts.strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{ts.microsecond:06d}000".rstrip("0")
    return f"{base}.{frac}Z" if frac else f"{base}Z"


@dataclass
class Instance:
    lines: list[tuple[datetime, str]] = field(default_factory=list)
    finished: bool = False


class ContainerLog:
    def __init__(self) -> None:
        self.instances: list[Instance] = [Instance()]
        self.changed = asyncio.Event()
        self.dropped = False

    def notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()


class LogStore:
    def __init__(self) -> None:
        self._logs: dict[tuple[str, str, str], ContainerLog] = {}

    def log(self, ns: str, pod: str, container: str) -> ContainerLog:
        return self._logs.setdefault((ns, pod, container), ContainerLog())

    def append(self, ns: str, pod: str, container: str, lines: list[str]) -> None:
        log = self.log(ns, pod, container)
        now = datetime.now(UTC)
        inst = log.instances[-1]
        for line in lines:
            inst.lines.append((now, line.rstrip("\n")))
        log.notify()

    def start_instance(self, ns: str, pod: str, container: str, index: int) -> None:
        """A container (re)started: its instance ``index`` (= restartCount) begins."""
        log = self.log(ns, pod, container)
        while len(log.instances) <= index:
            log.instances[-1].finished = True
            log.instances.append(Instance())
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
        self, request: web.Request, api: Api, ns: str, name: str, closing: asyncio.Event
    ) -> web.StreamResponse:
        q = request.query
        pod = api.get(_PODS, ns, name)
        container = _pick_container(pod, q.get("container", ""))
        opts = _options(q)
        if not (pod.get("spec") or {}).get("nodeName"):
            return web.Response(body=b"", content_type="text/plain")
        index = _instance_index(pod, container, opts["previous"])
        log = self.log(ns, name, container)
        if index >= len(log.instances):
            return web.Response(body=b"", content_type="text/plain")
        inst = log.instances[index]
        lines = _select(inst.lines, opts)
        limit: int | None = opts["limitBytes"]
        body = b"".join(_render(ts, text, opts["timestamps"]) for ts, text in lines)
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
                        _render(ts, text, opts["timestamps"]) for ts, text in inst.lines[seen:]
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
        except ConnectionResetError:
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


def _options(q: Any) -> dict[str, Any]:
    def num(key: str) -> int | None:
        if key not in q:
            return None
        try:
            return int(q[key])
        except ValueError as exc:
            raise bad_request(f"invalid value for {key}: {q[key]!r}") from exc

    since_time = None
    if q.get("sinceTime"):
        try:
            since_time = datetime.fromisoformat(q["sinceTime"].replace("Z", "+00:00"))
        except ValueError as exc:
            raise bad_request(f"invalid sinceTime: {q['sinceTime']!r}") from exc
    since_seconds = num("sinceSeconds")
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
            raise bad_request(
                f'previous terminated container "{container}" in pod "{pod_name}" not found'
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


def _select(lines: list[tuple[datetime, str]], opts: dict[str, Any]) -> list[tuple[datetime, str]]:
    if opts["since"] is not None:
        lines = [ln for ln in lines if ln[0] >= opts["since"]]
    tail = opts["tailLines"]
    if tail is not None:
        lines = lines[-tail:] if tail > 0 else []
    return lines


def _render(ts: datetime, text: str, timestamps: bool) -> bytes:
    prefix = rfc3339nano(ts) + " " if timestamps else ""
    return f"{prefix}{text}\n".encode()
