"""Exec and port-forward over WebSocket: kubernetes_asyncio's WsApiClient against the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeBadRequest, KubeError, KubeForbidden, KubeNotFound
from claworc_tui.k8s.podstreams import STDOUT, ExecChannel, PodStreams
from tests._support.wait import wait_for
from tests.k8s.helpers import NS, running_pod


@pytest.fixture
async def streams(kube: KubeClient) -> AsyncIterator[PodStreams]:
    opened = PodStreams(kube.transport)
    try:
        yield opened
    finally:
        await opened.aclose()


async def read_until(channel: ExecChannel, marker: bytes, within: float = 5.0) -> bytes:
    """Everything the session printed up to and including ``marker``."""
    seen = b""
    async with asyncio.timeout(within):
        while marker not in seen:
            got = await channel.read()
            assert got is not None, f"session ended before {marker!r}; got {seen!r}"
            seen += got[1]
    return seen


async def test_shell_session_runs_a_command_and_a_resize_reaches_the_pod(
    streams: PodStreams, pod: str, emulator: EmulatorServer
) -> None:
    script = "command -v bash >/dev/null && exec bash || exec sh"
    async with streams.exec(pod, ["sh", "-c", script]) as channel:
        assert channel.protocol == "v5.channel.k8s.io"
        await read_until(channel, f"root@{pod}:/# ".encode())
        await channel.write(b"echo hello from the pod\r")
        out = await read_until(channel, b"hello from the pod\r\n")
        assert b"echo hello from the pod\r\n" in out  # the TTY echoed what was typed
        await channel.resize(132, 43)
        await channel.write(b"stty size\r")
        assert b"43 132\r\n" in await read_until(channel, b"43 132")
        await channel.write(b"exit 3\r")
        while await channel.read() is not None:
            pass
        assert channel.exit_code == 3
    assert (pod, 132, 43) in emulator.streams.resizes


async def test_sh_when_the_image_has_no_bash(
    streams: PodStreams, pod: str, emulator: EmulatorServer
) -> None:
    emulator.streams.without_bash.add(pod)
    script = "command -v bash >/dev/null && exec bash || exec sh"
    async with streams.exec(pod, ["sh", "-c", script]) as channel:
        assert (await read_until(channel, b"# ")).endswith(b"# ")
        await channel.write(b"\x04")
        while await channel.read() is not None:
            pass
        assert channel.exit_code == 0


async def test_command_without_tty_keeps_stderr_apart_and_stdin_can_close(
    streams: PodStreams, pod: str
) -> None:
    async with streams.exec(pod, ["sh", "-c", "echo out; nope"], tty=False) as channel:
        got: dict[int, bytes] = {}
        while (item := await channel.read()) is not None:
            got[item[0]] = got.get(item[0], b"") + item[1]
        assert got[STDOUT] == b"out\n"
        assert b"nope: not found" in got[2]
        assert channel.exit_code == 127
    async with streams.exec(pod, ["cat"], tty=False) as channel:
        await channel.write(b"piped\n")
        assert await channel.read() == (STDOUT, b"piped\n")
        assert await channel.close_stdin()
        assert await channel.read() is None
        assert channel.exit_code == 0


async def test_exec_refusals_say_why(
    streams: PodStreams, pod: str, emulator: EmulatorServer, kube: KubeClient
) -> None:
    with pytest.raises(KubeNotFound, match="bot-gone"):
        async with streams.exec("bot-gone", ["sh"]):
            pass
    with pytest.raises(KubeBadRequest, match="container nope is not valid"):
        async with streams.exec(pod, ["sh"], container="nope"):
            pass
    emulator.forbid("create", "pods/exec", NS)
    with pytest.raises(KubeForbidden, match="pods/exec"):
        async with streams.exec(pod, ["sh"]):
            pass
    emulator.allow_all()
    await kube.deployments.scale("bot-alpha", 0)
    await wait_for(lambda: running_pod(emulator, "bot-alpha") is None, what="pod stopped")
    with pytest.raises(KubeError):
        async with streams.exec(pod, ["sh"]):
            pass
    assert [c.resource for c in kube.transport.calls if c.resource == "pods/exec"]


async def test_portforward_carries_http_to_the_pods_vnc_server(
    streams: PodStreams, pod: str, emulator: EmulatorServer
) -> None:
    async with streams.portforward(pod, 6081) as channel:
        await channel.send(b"GET /vnc.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = b""
        while (chunk := await channel.receive()) is not None:
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert f"noVNC chrome of pod {pod} on port 6081".encode() in reply
    assert (pod, 6081, "/vnc.html") in emulator.streams.network.served


async def test_portforward_to_a_port_nobody_listens_on_reports_the_error(
    streams: PodStreams, pod: str
) -> None:
    async with streams.portforward(pod, 9999) as channel:
        assert await channel.receive() is None
        assert channel.error is not None
        assert "connection refused" in channel.error
