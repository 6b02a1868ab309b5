"""Watch streams: initial/replayed events, selector transitions, bookmarks, 410 Expired."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from claworc_emulator.errors import ApiError, bad_request, expired, forbidden_field, invalid_options
from claworc_emulator.object_store import Change, Obj, ObjectStore
from claworc_emulator.resources import Resource
from claworc_emulator.selectors import Filter


class _Expire:
    def __init__(self, compacted: int) -> None:
        self.compacted = compacted


class WatchSubscriber:
    """One watch's queue of changes, filtered to its resource and namespace."""

    def __init__(self, res: Resource, ns: str | None) -> None:
        self.res = res
        self.ns = ns
        self.queue: asyncio.Queue[Change | _Expire] = asyncio.Queue()

    def push(self, change: Change) -> None:
        if change.res.plural == self.res.plural and (
            self.ns is None or change.namespace == self.ns
        ):
            self.queue.put_nowait(change)

    def expire(self, compacted: int) -> None:
        self.queue.put_nowait(_Expire(compacted))


def convert(change: Change, filt: Filter) -> tuple[str, Obj] | None:
    """The event one watcher sees for a change, following the watch cache's rules."""
    if change.type == "DELETED":
        return ("DELETED", change.obj) if filt(change.obj) else None
    cur = filt(change.obj)
    old = change.prev is not None and filt(change.prev)
    if change.type == "ADDED" or (cur and not old):
        return ("ADDED", change.obj) if cur else None
    if cur and old:
        return ("MODIFIED", change.obj)
    if old and change.prev is not None:
        prev = json.loads(json.dumps(change.prev))
        prev["metadata"]["resourceVersion"] = str(change.rv)
        return ("DELETED", prev)
    return None


def _raw_line(kind: str, obj: Any) -> bytes:
    return json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"


def check_params(params: dict[str, str]) -> None:
    """Reject malformed watch parameters before the stream starts (400 BadRequest)."""
    parse_rv(params.get("resourceVersion"))
    if params.get("sendInitialEvents") in ("true", "1") and (
        params.get("resourceVersionMatch") != "NotOlderThan"
    ):
        raise invalid_options(
            "ListOptions",
            forbidden_field(
                "resourceVersionMatch",
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ),
        )
    timeout = params.get("timeoutSeconds")
    if timeout not in (None, ""):
        try:
            float(str(timeout))
        except ValueError as exc:
            raise bad_request(f"invalid timeoutSeconds: {timeout!r}") from exc


def parse_rv(value: str | None) -> int | None:
    """A ``resourceVersion`` query value as an int; None for unset, empty or ``0`` (any).

    Raises:
        ApiError: 500 when it is not a number (as a watch answers; a LIST answers 400).
    """
    if value in (None, "", "0"):
        return None
    if not value.isdigit():
        # A watch answers a bad resourceVersion with a 500 (a LIST with a 400).
        raise ApiError(
            500,
            "",
            f'resourceVersion: Invalid value: "{value}": strconv.ParseUint: parsing "{value}": '
            "invalid syntax",
        )
    return int(value)


async def serve_watch(
    request: web.Request,
    store: ObjectStore,
    res: Resource,
    ns: str | None,
    filt: Filter,
    params: dict[str, str],
    closing: asyncio.Event,
    bookmark_interval: float,
    view: Callable[[Obj], Obj] | None = None,
) -> web.StreamResponse:
    """Serve a watch: the initial or replayed events, then live changes filtered by selectors,
    with bookmarks, until the client goes or the server stops; 410 when too old.
    """

    def _line(kind: str, obj: Any) -> bytes:
        if view is not None and kind not in ("ERROR", "BOOKMARK"):
            obj = view(obj)
        return _raw_line(kind, obj)

    rv = parse_rv(params.get("resourceVersion"))
    timeout = params.get("timeoutSeconds")
    try:
        seconds = float(timeout) if timeout not in (None, "", "0") else None
    except ValueError as exc:
        raise bad_request(f"invalid timeoutSeconds: {timeout!r}") from exc
    deadline = time.monotonic() + seconds if seconds is not None else None
    bookmarks = params.get("allowWatchBookmarks", "").lower() in ("true", "1", "t")

    sub = WatchSubscriber(res, ns)
    pending: list[bytes] = []
    last_rv = rv or store.rv
    if params.get("sendInitialEvents") in ("true", "1"):
        # A watch-list needs etcd's RequestWatchProgress, which the recorded cluster's etcd
        # 3.4 lacks (etcd >= 3.5.13 would send the initial events and a bookmark).
        msg = (
            "a watch stream was requested by the client but the required storage feature "
            "RequestWatchProgress is disabled"
        )
        pending.append(_line("ERROR", ApiError(500, "InternalError", msg).status()))
        done = True
    elif rv is not None and store.too_old(rv):
        status = expired(f"too old resource version: {rv} ({store.compacted})").status()
        pending.append(_line("ERROR", status))
        done = True
    else:
        done = False
        store.subscribers.add(sub)
        if rv is None:
            for obj in store.items(res, ns):
                if filt(obj):
                    pending.append(_line("ADDED", obj))
        else:
            for change in store.since(rv):
                sub.push(change)

    resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    resp.enable_chunked_encoding()
    try:
        await resp.prepare(request)
        for chunk in pending:
            await resp.write(chunk)
        next_bookmark = time.monotonic() + bookmark_interval
        while not done and not closing.is_set():
            now = time.monotonic()
            wait = next_bookmark - now if bookmarks else 3600.0
            if deadline is not None:
                if now >= deadline:
                    break
                wait = min(wait, deadline - now)
            item = await _next(sub.queue, closing, max(wait, 0.0))
            if item is None:
                if bookmarks and time.monotonic() >= next_bookmark and sub.queue.empty():
                    mark = {
                        "kind": res.kind,
                        "apiVersion": res.api_version,
                        "metadata": {"resourceVersion": str(store.rv)},
                    }
                    await resp.write(_line("BOOKMARK", mark))
                    next_bookmark = time.monotonic() + bookmark_interval
                continue
            if isinstance(item, _Expire):
                msg = f"too old resource version: {last_rv} ({item.compacted})"
                await resp.write(_line("ERROR", expired(msg).status()))
                break
            last_rv = item.rv
            event = convert(item, filt)
            if event is not None:
                await resp.write(_line(*event))
        await resp.write_eof()
    except ConnectionResetError:
        pass
    finally:
        store.subscribers.discard(sub)
    return resp


async def _next(
    queue: asyncio.Queue[Change | _Expire], closing: asyncio.Event, limit: float
) -> Change | _Expire | None:
    if not queue.empty():
        return queue.get_nowait()
    getter = asyncio.ensure_future(queue.get())
    closer = asyncio.ensure_future(closing.wait())
    try:
        done, _ = await asyncio.wait(
            {getter, closer}, timeout=limit, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for fut in (getter, closer):
            if not fut.done():
                fut.cancel()
    if getter in done:
        return getter.result()
    return None
