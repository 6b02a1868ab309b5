"""The emulator's exec and portforward at the wire: protocol choice, first frames, refusals."""

from __future__ import annotations

import json
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import ClientWebSocketResponse as ClientWS

from claworc_emulator import EmulatorServer
from tests.emulator.conftest import PODS, Http, ready_deployment


async def running(http: Http, emulator: EmulatorServer) -> str:
    pod = await ready_deployment(http, emulator, "bot-wire")
    return str(pod["metadata"]["name"])


@asynccontextmanager
async def v4_socket(emulator: EmulatorServer, pod: str, query: str) -> AsyncIterator[ClientWS]:
    """A websocket to ``pods/POD/QUERY`` asking for the v4 channel protocol."""
    url = f"{emulator.url}{PODS}/{pod}/{query}"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, protocols=("v4.channel.k8s.io",)) as ws,
    ):
        yield ws


async def test_exec_speaks_v4_when_asked_and_ends_with_a_status(
    http: Http, emulator: EmulatorServer
) -> None:
    pod = await running(http, emulator)
    query = "exec?command=sh&command=-c&command=exit+3&stdout=true"
    async with v4_socket(emulator, pod, query) as ws:
        assert ws.protocol == "v4.channel.k8s.io"
        frames = [msg.data async for msg in ws if msg.type == aiohttp.WSMsgType.BINARY]
    assert frames[-1][0] == 3
    status = json.loads(frames[-1][1:])
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]


async def test_a_plain_get_gets_the_reason_a_websocket_would_have_been_refused(
    http: Http, emulator: EmulatorServer
) -> None:
    pod = await running(http, emulator)
    code, body = await http.get(f"{PODS}/{pod}/exec", command="sh", stdout="true")
    assert (code, body["message"]) == (400, "Upgrade request required")
    code, body = await http.get(f"{PODS}/{pod}/exec", command="sh", container="nope")
    assert (code, body["message"]) == (400, f"container nope is not valid for pod {pod}")
    code, body = await http.get(f"{PODS}/{pod}/exec", stdout="true")
    assert code == 400
    assert "at least one command" in body["message"]
    code, body = await http.get(f"{PODS}/{pod}/portforward")
    assert (code, body["message"]) == (400, 'query parameter "ports" is required')
    code, body = await http.get(f"{PODS}/nope/portforward", ports="6081")
    assert (code, body["reason"]) == (404, "NotFound")


async def test_portforward_sends_the_port_first_on_both_channels(
    http: Http, emulator: EmulatorServer
) -> None:
    pod = await running(http, emulator)
    async with v4_socket(emulator, pod, "portforward?ports=6082") as ws:
        first = [(await ws.receive()).data, (await ws.receive()).data]
        assert sorted(first) == [
            b"\x00" + struct.pack("<H", 6082),
            b"\x01" + struct.pack("<H", 6082),
        ]
        await ws.send_bytes(b"\x00GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        reply = b""
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.BINARY and msg.data[:1] == b"\x00":
                reply += msg.data[1:]
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert b"noVNC terminal" in reply
