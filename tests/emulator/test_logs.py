"""Container logs: tail, since, timestamps, previous, limitBytes, follow and kubelet errors."""

from __future__ import annotations

import asyncio
import re

from claworc_emulator import EmulatorServer
from tests._support.wait import wait_for
from tests.emulator.conftest import (
    DEPLOYMENTS,
    NS,
    Http,
    deployment,
    lines_until_stopped,
    pods_of,
    ready_deployment,
    ready_pod,
)


async def running(http: Http, emulator: EmulatorServer, app: str = "bot-l") -> str:
    pod = await ready_deployment(http, emulator, app)
    return str(pod["metadata"]["name"])


def log_path(pod: str) -> str:
    return f"/api/v1/namespaces/{NS}/pods/{pod}/log"


async def test_startup_lines_tail_and_timestamps(http: Http, emulator: EmulatorServer) -> None:
    pod = await running(http, emulator)
    status, text = await http.get(log_path(pod))
    assert status == 200
    assert text.splitlines()[0] == "Starting moltbot (image ghcr.io/openclaw/moltbot:1.0)"
    emulator.append_log(NS, pod, ["one", "two", "three"])
    _, text = await http.get(log_path(pod), tailLines=2)
    assert text == "two\nthree\n"
    _, text = await http.get(log_path(pod), tailLines=1, timestamps="true")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z three\n", text)
    _, text = await http.get(log_path(pod), limitBytes=5, tailLines=2)
    assert text == "two\nt"
    _, text = await http.get(log_path(pod), container="moltbot", tailLines=1)
    assert text == "three\n"


async def test_since_seconds_and_since_time(http: Http, emulator: EmulatorServer) -> None:
    pod = await running(http, emulator)
    await asyncio.sleep(1.1)
    emulator.append_log(NS, pod, ["fresh"])
    _, text = await http.get(log_path(pod), sinceSeconds=1)
    assert text == "fresh\n"
    _, text = await http.get(log_path(pod), sinceTime="2000-01-01T00:00:00Z")
    assert text.endswith("fresh\n")
    assert len(text.splitlines()) == 4


async def test_follow_streams_until_pod_deleted(http: Http, emulator: EmulatorServer) -> None:
    pod = await running(http, emulator)
    received: list[str] = []

    async def follow() -> None:
        async with http.session.get(
            http.url + log_path(pod), params={"follow": "true", "tailLines": "0"}
        ) as resp:
            assert resp.status == 200
            async for line in resp.content:
                received.append(line.decode().rstrip("\n"))

    task = asyncio.create_task(follow())
    await asyncio.sleep(0.1)
    await emulator.generate_logs(NS, pod, rate=200, count=5)
    await wait_for(lambda: len(received) == 5, what="followed lines")
    assert received == [f"line {i}" for i in range(5)]
    await http.delete(f"/api/v1/namespaces/{NS}/pods/{pod}")
    async with asyncio.timeout(3):
        await task


async def test_previous_after_crash(http: Http, emulator: EmulatorServer) -> None:
    pod = await running(http, emulator)
    status, body = await http.get(log_path(pod), previous="true")
    assert status == 400
    assert body["reason"] == "BadRequest"
    # The kubelet's message, passed through by the apiserver with its newline.
    assert body["message"] == f'previous terminated container "moltbot" in pod "{pod}" not found\n'
    emulator.append_log(NS, pod, ["before the crash"])
    emulator.crash_loop(NS, "bot-l")

    def restarted() -> bool:
        p = pods_of(emulator, "bot-l", live=True)[0]
        return bool(p["status"]["containerStatuses"][0]["restartCount"] >= 1)

    await wait_for(restarted, what="a restart")
    _, text = await http.get(log_path(pod), previous="true")
    assert "before the crash" in text
    assert "Error: unhandled exception in main loop" in text


PULL_FAILURES = {
    "ErrImagePull": "image can't be pulled",
    "ImagePullBackOff": "trying and failing to pull image",
}


async def test_waiting_container_and_bad_container(http: Http, emulator: EmulatorServer) -> None:
    emulator.image_pull_backoff(NS, "bot-w")
    await http.post(DEPLOYMENTS, deployment("bot-w"))

    def creating() -> str | None:
        for p in pods_of(emulator, "bot-w"):
            for cs in p.get("status", {}).get("containerStatuses", []):
                if cs["state"].get("waiting", {}).get("reason") in PULL_FAILURES:
                    return str(p["metadata"]["name"])
        return None

    # ErrImagePull lasts one pull attempt, then the kubelet backs off (ImagePullBackOff): on a
    # loaded machine either may be the state when the log is asked for, each with its message.
    pod = await wait_for(creating, what="waiting container")
    status, body = await http.get(log_path(pod))
    assert status == 400
    assert body["message"] in {
        f'container "moltbot" in pod "{pod}" is waiting to start: {why}'
        for why in PULL_FAILURES.values()
    }
    status, body = await http.get(log_path(pod), container="nope")
    assert status == 400
    assert body["message"] == f"container nope is not valid for pod {pod}"
    status, body = await http.get(log_path("missing"))
    assert status == 404
    assert body["message"] == 'pods "missing" not found'


async def test_multi_container_pod_needs_container(http: Http, emulator: EmulatorServer) -> None:
    dep = deployment("bot-m")
    dep["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "busybox"})
    await http.post(DEPLOYMENTS, dep)
    pod = await wait_for(lambda: ready_pod(emulator, "bot-m"), what="ready pod")
    name = pod["metadata"]["name"]
    status, body = await http.get(log_path(name))
    assert status == 400
    assert body["message"] == (
        f"a container name must be specified for pod {name}, choose one of: [moltbot sidecar]"
    )
    status, text = await http.get(log_path(name), container="sidecar", tailLines=1)
    assert status == 200
    assert text == "sidecar is ready\n"


async def test_generate_logs_burst_and_stop_closes_follow(
    http: Http, emulator: EmulatorServer
) -> None:
    pod = await running(http, emulator)
    await emulator.generate_logs(NS, pod, rate=None, count=1200, template="burst {i}")
    _, text = await http.get(log_path(pod), tailLines=2)
    assert text == "burst 1198\nburst 1199\n"

    url = http.url + log_path(pod)
    assert await lines_until_stopped(emulator, http.session, url, {"follow": "1"}) >= 1203
