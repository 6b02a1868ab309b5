"""Label/field selectors on lists and watches; watch replay, 410, timeouts and bookmarks."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from claworc_emulator import EmulatorServer
from tests.emulator.conftest import CONFIGMAPS, NOT_ROOT_CA, NS, Http

MERGE = "application/merge-patch+json"


async def read_events(
    session: aiohttp.ClientSession, url: str, count: int, limit: float = 3.0, **params: Any
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    query = {"watch": "true", **{k: str(v) for k, v in params.items()}}
    async with session.get(url, params=query) as resp:
        assert resp.status == 200
        async with asyncio.timeout(limit):
            while len(events) < count:
                line = await resp.content.readline()
                if not line:
                    break
                events.append(json.loads(line))
    return events


async def make(http: Http, name: str, labels: dict[str, str]) -> dict[str, Any]:
    status, obj = await http.post(CONFIGMAPS, {"metadata": {"name": name, "labels": labels}})
    assert status == 201
    assert isinstance(obj, dict)
    return obj


async def test_label_selectors(http: Http) -> None:
    await make(http, "a", {"app": "x", "tier": "web"})
    await make(http, "b", {"app": "y", "tier": "db"})
    await make(http, "c", {"app": "z"})

    async def names(selector: str) -> list[str]:
        status, listing = await http.get(
            CONFIGMAPS, labelSelector=selector, fieldSelector=NOT_ROOT_CA
        )
        assert status == 200, listing
        return [i["metadata"]["name"] for i in listing["items"]]

    assert await names("app=x") == ["a"]
    assert await names("app==y") == ["b"]
    assert await names("app!=x") == ["b", "c"]
    assert await names("app in (x, z)") == ["a", "c"]
    assert await names("app notin (x,z)") == ["b"]
    assert await names("tier") == ["a", "b"]
    assert await names("!tier") == ["c"]
    assert await names("app in (x,y),tier!=db") == ["a"]
    status, body = await http.get(CONFIGMAPS, labelSelector="app in x")
    assert status == 400
    assert body["reason"] == "BadRequest"


async def test_field_selectors(http: Http) -> None:
    await make(http, "a", {})
    await make(http, "b", {})
    _, listing = await http.get(CONFIGMAPS, fieldSelector="metadata.name=b")
    assert [i["metadata"]["name"] for i in listing["items"]] == ["b"]
    _, listing = await http.get(CONFIGMAPS, fieldSelector=f"metadata.name!=b,{NOT_ROOT_CA}")
    assert [i["metadata"]["name"] for i in listing["items"]] == ["a"]
    _, listing = await http.get(
        "/api/v1/configmaps", fieldSelector=f"metadata.namespace={NS},{NOT_ROOT_CA}"
    )
    assert len(listing["items"]) == 2
    status, body = await http.get(CONFIGMAPS, fieldSelector="spec.foo=bar")
    assert status == 400
    assert body["message"] == (
        '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"'
    )
    status, _ = await http.get(
        f"/api/v1/namespaces/{NS}/pods", fieldSelector="status.phase=Running"
    )
    assert status == 200
    status, _ = await http.get(
        f"/api/v1/namespaces/{NS}/events",
        fieldSelector="involvedObject.name=x,involvedObject.kind=Pod",
    )
    assert status == 200


async def test_watch_initial_events_then_live(http: Http) -> None:
    await make(http, "a", {"app": "x"})

    async def change_later() -> None:
        await asyncio.sleep(0.1)
        await http.patch(f"{CONFIGMAPS}/a", {"data": {"k": "v"}}, MERGE)
        await http.delete(f"{CONFIGMAPS}/a")

    task = asyncio.create_task(change_later())
    events = await read_events(http.session, http.url + CONFIGMAPS, 3, fieldSelector=NOT_ROOT_CA)
    await task
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert events[0]["object"]["kind"] == "ConfigMap"
    assert events[0]["object"]["apiVersion"] == "v1"
    assert events[1]["object"]["data"] == {"k": "v"}
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs)
    assert rvs[2] > rvs[1]


async def test_watch_replays_from_resource_version(http: Http) -> None:
    first = await make(http, "a", {})
    await make(http, "b", {})
    await http.delete(f"{CONFIGMAPS}/a")
    rv = first["metadata"]["resourceVersion"]
    events = await read_events(http.session, http.url + CONFIGMAPS, 2, resourceVersion=rv)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "b"),
        ("DELETED", "a"),
    ]


async def test_watch_too_old_resource_version_is_410_event(
    http: Http, emulator: EmulatorServer
) -> None:
    obj = await make(http, "a", {})
    old_rv = obj["metadata"]["resourceVersion"]
    await make(http, "b", {})
    emulator.force_gone()
    current = (await http.get(CONFIGMAPS))[1]["metadata"]["resourceVersion"]
    ok = await read_events(
        http.session, http.url + CONFIGMAPS, 1, limit=2.5, resourceVersion=current, timeoutSeconds=1
    )
    assert ok == []
    events = await read_events(http.session, http.url + CONFIGMAPS, 2, resourceVersion=old_rv)
    assert len(events) == 1
    assert events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert status["kind"] == "Status"
    assert status["code"] == 410
    assert status["reason"] == "Expired"
    assert status["message"].startswith(f"too old resource version: {old_rv} (")


async def test_force_gone_closes_open_watches(http: Http, emulator: EmulatorServer) -> None:
    await make(http, "a", {})

    async def compact() -> None:
        await asyncio.sleep(0.1)
        emulator.force_gone()

    task = asyncio.create_task(compact())
    events = await read_events(http.session, http.url + CONFIGMAPS, 5, fieldSelector=NOT_ROOT_CA)
    await task
    assert [e["type"] for e in events] == ["ADDED", "ERROR"]
    assert events[1]["object"]["code"] == 410


async def test_history_limit_compacts(http: Http, emulator: EmulatorServer) -> None:
    emulator.store.history_limit = 3
    first = await make(http, "a", {})
    for i in range(5):
        await make(http, f"b{i}", {})
    events = await read_events(
        http.session, http.url + CONFIGMAPS, 1, resourceVersion=first["metadata"]["resourceVersion"]
    )
    assert events[0]["type"] == "ERROR"
    assert events[0]["object"]["reason"] == "Expired"


async def test_watch_timeout_seconds_ends_cleanly(http: Http) -> None:
    started = time.monotonic()
    events = await read_events(
        http.session, http.url + CONFIGMAPS, 10, timeoutSeconds=1, fieldSelector=NOT_ROOT_CA
    )
    assert events == []
    assert 0.9 <= time.monotonic() - started < 2.5


async def test_watch_bookmarks(http: Http) -> None:
    await make(http, "a", {})
    events = await read_events(
        http.session,
        http.url + CONFIGMAPS,
        2,
        allowWatchBookmarks="true",
        fieldSelector=NOT_ROOT_CA,
    )
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
    mark = events[1]["object"]
    assert mark["kind"] == "ConfigMap"
    assert int(mark["metadata"]["resourceVersion"]) >= int(
        events[0]["object"]["metadata"]["resourceVersion"]
    )


async def test_selected_watch_sees_objects_leave_and_enter(http: Http) -> None:
    await make(http, "a", {"app": "x"})

    async def relabel() -> None:
        await asyncio.sleep(0.1)
        await http.patch(f"{CONFIGMAPS}/a", {"metadata": {"labels": {"app": "y"}}}, MERGE)
        await http.patch(f"{CONFIGMAPS}/a", {"metadata": {"labels": {"app": "x"}}}, MERGE)

    task = asyncio.create_task(relabel())
    events = await read_events(http.session, http.url + CONFIGMAPS, 3, labelSelector="app=x")
    await task
    assert [e["type"] for e in events] == ["ADDED", "DELETED", "ADDED"]
    assert events[1]["object"]["metadata"]["labels"] == {"app": "x"}
    assert int(events[1]["object"]["metadata"]["resourceVersion"]) > int(
        events[0]["object"]["metadata"]["resourceVersion"]
    )
