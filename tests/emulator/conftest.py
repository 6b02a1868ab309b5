"""Fixtures: a started emulator with small delays, an HTTP helper, a kubernetes_asyncio client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from kubernetes_asyncio import client, config

from claworc_emulator import EmulatorServer
from tests._support.emulator import emulator_config, running_emulator
from tests._support.wait import wait_for

NS = "claworc"


#: What the emulator's own tests change in :func:`emulator_config`: bookmarks every 0.2 s and a
#: crash back-off of 0.1 s, so watch and crash-loop tests finish in tenths of a second.
EMULATOR_TEST_KNOBS: dict[str, Any] = {
    "pod_start_delay": 0.09,
    "bookmark_interval": 0.2,
    "crash_backoff": 0.1,
}


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    """The emulator with :data:`EMULATOR_TEST_KNOBS`, stopped after the test."""
    async with running_emulator(emulator_config(**EMULATOR_TEST_KNOBS)) as server:
        yield server


class Http:
    """Raw JSON requests against the emulator."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        ctype: str = "application/json",
        **params: Any,
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body)
        query = {k: str(v) for k, v in params.items()}
        async with self.session.request(
            method, self.url + path, data=data, params=query, headers={"Content-Type": ctype}
        ) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text

    async def get(self, path: str, **params: Any) -> tuple[int, Any]:
        return await self.call("GET", path, **params)

    async def post(self, path: str, body: Any) -> tuple[int, Any]:
        return await self.call("POST", path, body)

    async def put(self, path: str, body: Any) -> tuple[int, Any]:
        return await self.call("PUT", path, body)

    async def patch(self, path: str, body: Any, ctype: str) -> tuple[int, Any]:
        return await self.call("PATCH", path, body, ctype=ctype)

    async def delete(self, path: str, body: Any = None, **params: Any) -> tuple[int, Any]:
        return await self.call("DELETE", path, body, **params)


@pytest.fixture
async def http(emulator: EmulatorServer) -> AsyncIterator[Http]:
    async with aiohttp.ClientSession() as session:
        yield Http(session, emulator.url)


@pytest.fixture
async def k8s(emulator: EmulatorServer, tmp_path: Path) -> AsyncIterator[client.ApiClient]:
    path = emulator.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)
    cfg = client.Configuration()
    await config.load_kube_config(config_file=str(path), client_configuration=cfg)
    api = client.ApiClient(cfg)
    try:
        yield api
    finally:
        await api.close()


def deployment(
    name: str,
    *,
    replicas: int = 1,
    image: str = "ghcr.io/openclaw/moltbot:1.0",
    strategy: str = "Recreate",
    **spec_extra: Any,
) -> dict[str, Any]:
    pod_spec: dict[str, Any] = {
        "containers": [{"name": "moltbot", "image": image, "ports": [{"containerPort": 8080}]}]
    }
    pod_spec.update(spec_extra)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "strategy": {"type": strategy},
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec},
        },
    }


DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NS}/deployments"
PODS = f"/api/v1/namespaces/{NS}/pods"
SECRETS = f"/api/v1/namespaces/{NS}/secrets"
CONFIGMAPS = f"/api/v1/namespaces/{NS}/configmaps"
SERVICES = f"/api/v1/namespaces/{NS}/services"
PVCS = f"/api/v1/namespaces/{NS}/persistentvolumeclaims"
EVENTS = f"/api/v1/namespaces/{NS}/events"
# Every namespace holds this ConfigMap (the root-CA publisher of kube-controller-manager puts
# it there), so ConfigMap lists and watches of a namespace show it next to the test's own.
ROOT_CA = "kube-root-ca.crt"
NOT_ROOT_CA = f"metadata.name!={ROOT_CA}"


def names(items: list[dict[str, Any]]) -> list[str]:
    """The names of ``items`` except the root-CA ConfigMap every namespace holds."""
    return [i["metadata"]["name"] for i in items if i["metadata"]["name"] != ROOT_CA]


def pods_of(emulator: EmulatorServer, app: str, *, live: bool = False) -> list[dict[str, Any]]:
    out = []
    for p in emulator.objects("pods", NS):
        if p["metadata"].get("labels", {}).get("app") != app:
            continue
        if live and p["metadata"].get("deletionTimestamp"):
            continue
        out.append(p)
    return out


def ready_pod(emulator: EmulatorServer, app: str) -> dict[str, Any] | None:
    for p in pods_of(emulator, app, live=True):
        conds = p.get("status", {}).get("conditions", [])
        if any(c["type"] == "Ready" and c["status"] == "True" for c in conds):
            return p
    return None


async def ready_deployment(http: Http, emulator: EmulatorServer, app: str) -> dict[str, Any]:
    """Create the Deployment ``app`` (:func:`deployment`) and wait for its ready pod; the pod."""
    code, body = await http.post(DEPLOYMENTS, deployment(app))
    assert code == 201, body
    return await wait_for(lambda: ready_pod(emulator, app), what=f"{app}'s pod ready")


async def lines_until_stopped(
    emulator: EmulatorServer, session: aiohttp.ClientSession, url: str, params: dict[str, str]
) -> int:
    """Follow a streaming GET (a watch, a log follow), stop the emulator, and return how many
    lines came before the stop closed the stream (which must happen within 3 s)."""

    async def follow() -> int:
        lines = 0
        async with session.get(url, params=params) as resp:
            async for _ in resp.content:
                lines += 1
        return lines

    task = asyncio.create_task(follow())
    await asyncio.sleep(0.1)
    await emulator.stop()
    async with asyncio.timeout(3):
        return await task
