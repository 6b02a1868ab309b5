"""Shells and forwards through ReachService and the CLI: a real SQLite file, the emulator over
real HTTP/WebSocket, kubernetes_asyncio's WsApiClient, and real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import aiohttp
import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.services import Services
from claworc_tui.services.reach import NotRunning
from claworc_tui.services.terminal import run_terminal
from tests._support.instances import make
from tests._support.kube import reach_of
from tests._support.wait import wait_for
from tests.faults.cli_proc import env_for, spawn
from tests.k8s.helpers import running_pod
from tests.lifecycle.test_cli import KEY, cli


async def make_bot(services: Services, emulator: EmulatorServer, display: str = "Bot Alpha") -> str:
    await make(services, display)
    name = "bot-" + display.lower().removeprefix("bot ").replace(" ", "-")
    await wait_for(lambda: running_pod(emulator, name) is not None, timeout=10, what="pod running")
    return name


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, await resp.text()


async def test_shell_with_pipes_runs_lines_and_returns_the_exit_code(
    services: Services, emulator: EmulatorServer
) -> None:
    name = await make_bot(services, emulator)
    stdin_r, stdin_w = os.pipe()
    out_r, out_w = os.pipe()
    os.write(stdin_w, b"echo hello from the pod\nhostname\nexit 4\n")
    os.close(stdin_w)
    try:
        async with reach_of(services).shell(name, tty=False) as channel:
            code = await run_terminal(channel, stdin_fd=stdin_r, stdout_fd=out_w, stderr_fd=out_w)
        os.close(out_w)
        printed = os.read(out_r, 65536).decode()
    finally:
        os.close(stdin_r)
        os.close(out_r)
    pod = running_pod(emulator, name)
    assert code == 4
    assert printed == f"hello from the pod\n{pod}\n"
    assert emulator.streams.execs[-1][1][:2] == ["sh", "-c"]  # the bash-else-sh probe


async def test_shell_or_forward_to_a_stopped_instance_says_so_and_opens_nothing(
    services: Services, emulator: EmulatorServer
) -> None:
    name = await make_bot(services, emulator)
    await services.instances.stop(name)
    await wait_for(lambda: not emulator.objects("pods", "claworc"), timeout=10, what="no pod")
    before = len(emulator.requests)
    with pytest.raises(NotRunning, match="bot-alpha is not running: it has no pod"):
        async with reach_of(services).shell(name):
            pass
    with pytest.raises(NotRunning, match="it has no pod"):
        await reach_of(services).forward(name)
    assert reach_of(services).forwards() == []
    assert not [r for r in emulator.requests[before:] if r.path.endswith(("/exec", "/portforward"))]


async def test_forward_carries_http_and_reattaches_after_a_restart(
    services: Services, emulator: EmulatorServer
) -> None:
    name = await make_bot(services, emulator)
    reach = reach_of(services)
    chrome, terminal = await reach.forward(name)
    assert chrome.url == f"http://127.0.0.1:{chrome.local_port}/vnc.html?autoconnect=true"
    assert [f.role for f in reach.forwards(name)] == ["chrome", "terminal"]
    first = running_pod(emulator, name)
    status, body = await get(chrome.url)
    assert (status, f"noVNC chrome of pod {first} on port 6081" in body) == (200, True)
    status, body = await get(terminal.url)
    assert (status, f"noVNC terminal of pod {first} on port 6082" in body) == (200, True)

    await services.instances.restart(name)
    await wait_for(
        lambda: running_pod(emulator, name) not in (None, first), timeout=10, what="new pod"
    )
    second = running_pod(emulator, name)
    status, body = await get(chrome.url)
    assert (status, f"of pod {second} on port 6081" in body) == (200, True)
    assert chrome.pod == second

    await reach.aclose()
    assert reach.forwards() == []
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(chrome.url)


async def test_forward_to_a_port_already_in_use_is_refused_and_nothing_listens(
    services: Services, emulator: EmulatorServer
) -> None:
    name = await make_bot(services, emulator)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ValidationFailed, match=f"127.0.0.1:{port} is already in use"):
            await reach_of(services).forward(name, local_port=port)
    assert reach_of(services).forwards() == []


async def shell_cli(config: Settings, name: str, *cmd: str) -> tuple[int, str, str]:
    """``claworc-tui shell`` with the flags before ``--`` (everything after it is CMD)."""
    flags = ["--db", str(config.db), "--kubeconfig", str(config.kubeconfig), "-n", config.namespace]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "claworc_tui",
        "shell",
        *flags,
        name,
        *(("--", *cmd) if cmd else ()),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env_for(KEY),
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_cli_shell_runs_a_command(config: Settings, emulator: EmulatorServer) -> None:
    assert (await cli(config, "create", "Bot Alpha"))[0] == 0
    await wait_for(lambda: running_pod(emulator, "bot-alpha") is not None, timeout=10, what="pod")
    code, out, err = await shell_cli(config, "bot-alpha", "echo", "hi there", "--db")
    assert code == 0, err
    assert (out, err) == ("hi there --db\n", "")
    code, out, err = await shell_cli(config, "bot-alpha", "sh", "-c", "exit 5")
    assert code == 5
    code, _, err = await shell_cli(config, "bot-nope")
    assert code == 2
    assert "bot-nope" in err
    code, _, err = await cli(config, "shell", "bot-alpha")  # cli() puts its flags after NAME
    assert code == 2
    assert "flags go before NAME" in err


async def test_cli_forward_prints_urls_and_stops_on_ctrl_c(
    config: Settings, emulator: EmulatorServer
) -> None:
    assert (await cli(config, "create", "Bot Alpha"))[0] == 0
    await wait_for(lambda: running_pod(emulator, "bot-alpha") is not None, timeout=10, what="pod")
    proc = await spawn(config, KEY, "forward", "bot-alpha")
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(20):
            line = (await proc.stdout.readline()).decode()
        role, url = line.split()
        assert role == "chrome"
        status, body = await get(url)
        assert status == 200
        assert "noVNC chrome of pod" in body
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=20)
    assert proc.returncode == 0, err
    assert b"ssh -N -L" in err


def vnc_service(emulator: EmulatorServer, name: str) -> dict[str, object]:
    return next(
        s for s in emulator.objects("services", "claworc") if s["metadata"]["name"] == f"{name}-vnc"
    )


async def test_private_instance_has_no_nodeport_and_its_url_works_through_a_forward(
    services: Services, emulator: EmulatorServer
) -> None:
    await services.instances.update_settings({"default_exposure": "private"})
    name = await make_bot(services, emulator)
    service = vnc_service(emulator, name)
    spec = service["spec"]
    assert isinstance(spec, dict)
    assert spec["type"] == "ClusterIP"
    assert not any(p.get("nodePort") for p in spec["ports"])
    assert (await services.instances.get(name)).exposure.value == "private"
    url = await reach_of(services).private_url(name, "chrome")
    assert url.startswith("http://127.0.0.1:")
    status, body = await get(url)
    assert (status, f"noVNC chrome of pod {running_pod(emulator, name)}" in body) == (200, True)
    assert (await services.instances.drift()).clean


async def test_switching_exposure_changes_only_the_service(
    services: Services, emulator: EmulatorServer
) -> None:
    from claworc_tui.models.exposure import Exposure

    name = await make_bot(services, emulator)
    pod = running_pod(emulator, name)
    inst = await services.instances.get(name)
    await reach_of(services).set_exposure(name, Exposure.PRIVATE)
    spec = vnc_service(emulator, name)["spec"]
    assert isinstance(spec, dict)
    assert (spec["type"], [p.get("nodePort") for p in spec["ports"]]) == ("ClusterIP", [None, None])
    await reach_of(services).set_exposure(name, Exposure.NODEPORT)
    spec = vnc_service(emulator, name)["spec"]
    assert isinstance(spec, dict)
    assert spec["type"] == "NodePort"
    assert [p["nodePort"] for p in spec["ports"]] == [inst.nodeport_chrome, inst.nodeport_terminal]
    assert running_pod(emulator, name) == pod  # no restart
    assert (await services.instances.drift()).clean


async def test_cli_expose_switches_and_refuses_a_bad_value(
    config: Settings, emulator: EmulatorServer
) -> None:
    assert (await cli(config, "create", "Bot Alpha"))[0] == 0
    code, out, err = await cli(config, "expose", "bot-alpha", "private")
    assert (code, out.strip()) == (0, "bot-alpha exposure = private"), err
    spec = vnc_service(emulator, "bot-alpha")["spec"]
    assert isinstance(spec, dict)
    assert spec["type"] == "ClusterIP"
    code, _, err = await cli(config, "expose", "bot-alpha", "public")
    assert code == 2
    assert "invalid choice" in err
    assert vnc_service(emulator, "bot-alpha")["spec"]["type"] == "ClusterIP"  # type: ignore[index]


async def test_cli_default_exposure_setting(config: Settings, emulator: EmulatorServer) -> None:
    code, out, err = await cli(config, "settings", "set", "default_exposure", "private")
    assert code == 0, err
    code, out, _ = await cli(config, "settings", "get", "default_exposure")
    assert (code, out.strip()) == (0, "private")
    code, _, err = await cli(config, "settings", "set", "default_exposure", "public")
    assert code == 2
    assert "default_exposure" in err
    assert (await cli(config, "settings", "get", "default_exposure"))[1].strip() == "private"
    assert (await cli(config, "create", "Bot Alpha"))[0] == 0
    spec = vnc_service(emulator, "bot-alpha")["spec"]
    assert isinstance(spec, dict)
    assert spec["type"] == "ClusterIP"


def test_ssh_hint_uses_the_address_the_user_came_in_on() -> None:
    from claworc_tui.services.reach import Forward, ssh_hint

    fwd = Forward(instance="bot-a", remote_port=6081, local_port=40001, server=None)  # type: ignore[arg-type]
    line = ssh_hint([fwd], {"SSH_CONNECTION": "198.51.100.7 50000 203.0.113.5 2222"})
    assert line.startswith("ssh -N -p 2222 -L 40001:127.0.0.1:40001 ")
    assert line.endswith("@203.0.113.5")
    assert "-p" not in ssh_hint([fwd], {"SSH_CONNECTION": "fe80::1 50000 fe80::2 22"})
    assert ssh_hint([fwd], {"SSH_CONNECTION": "fe80::1 50000 fe80::2 22"}).endswith("@[fe80::2]")


async def test_a_failed_forward_stops_only_what_it_opened(
    services: Services, emulator: EmulatorServer
) -> None:
    name = await make_bot(services, emulator)
    reach = reach_of(services)
    (chrome,) = await reach.forward(name, ports=(6081,))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ValidationFailed, match=f"127.0.0.1:{port} is already in use"):
            await reach.forward(name, local_port=port - 1)  # chrome exists; terminal on port
    assert reach.forwards(name) == [chrome]
    assert (await get(chrome.url))[0] == 200
