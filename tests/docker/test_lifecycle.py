"""An instance's lifecycle on a real Docker engine: create, stop, start, restart, delete."""

from __future__ import annotations

import asyncio
import socket
import stat
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from claworc_tui.docker import spec
from claworc_tui.docker.engine import DockerEngine, check_socket
from claworc_tui.docker.errors import EngineUnavailable, ImageMissing, PortTaken
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.models.instance import Provider
from tests._support.wait import wait_for
from tests.docker.conftest import IMAGE, made, make_instance

KEY = "sk-ant-api03.FAKE.DOCKERTEST.not.real-0001"


async def _state(backend: DockerInstances, name: str) -> dict[str, Any]:
    doc = await backend.inspect(name)
    assert doc is not None
    state: dict[str, Any] = doc["State"]
    return state


async def _answers(port: int) -> bool:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/", timeout=aiohttp.ClientTimeout(total=2)) as r,
        ):
            return r.status == 200 and "claworc test vnc" in await r.text()
    except (aiohttp.ClientError, OSError, TimeoutError):
        return False


async def test_the_whole_lifecycle_leaves_nothing_behind(backend: DockerInstances) -> None:
    instance = make_instance()
    keys = {Provider.ANTHROPIC: SecretStr(KEY)}
    await backend.create(instance, image=IMAGE, keys=keys, config_text='{"a": 1}')
    name = instance.name

    doc = await backend.inspect(name)
    assert doc is not None
    host = doc["HostConfig"]
    assert host["Privileged"] is False  # see the backend fixture
    assert host["ShmSize"] == 2 * 1024**3
    assert host["Memory"] == 64 * 1024**2
    assert host["NanoCpus"] == 500_000_000
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert doc["Config"]["Labels"]["managed-by"] == "claworc"
    assert doc["Config"]["Labels"]["app"] == name
    bound = host["PortBindings"]["6081/tcp"][0]
    assert (bound["HostIp"], bound["HostPort"]) == ("127.0.0.1", str(instance.nodeport_chrome))
    # The key is a file, never an environment variable docker inspect would print.
    assert all(KEY not in env for env in doc["Config"]["Env"])
    folder = backend.folder(name)
    key_file = folder / "keys" / "ANTHROPIC_API_KEY"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "keys").stat().st_mode) == 0o700
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text() == KEY
    mounts = {m["Destination"]: m for m in doc["Mounts"]}
    assert mounts[spec.KEYS_DIR]["RW"] is False
    assert mounts[spec.CONFIG_PATH]["RW"] is False
    assert {m["Name"] for m in doc["Mounts"] if m["Type"] == "volume"} == {
        spec.volume_name(name, role) for role in ("clawdbot", "homebrew", "clawd", "chrome")
    }

    assert instance.node_ports is not None
    chrome, terminal = instance.node_ports
    await wait_for(lambda: _answers(chrome), timeout=15, what="VNC port")
    assert await _answers(terminal)

    await backend.stop(name)
    state = await _state(backend, name)
    assert state["Status"] == "exited"
    ours = await backend.list_ours()
    assert name in ours.containers
    assert len(ours.volumes[name]) == 4  # stop keeps the data

    await backend.start(name)
    assert (await _state(backend, name))["Running"] is True
    started = (await _state(backend, name))["StartedAt"]
    await backend.restart(name)
    after = await _state(backend, name)
    assert after["Running"] is True
    assert after["StartedAt"] != started

    removed = await backend.delete(name)
    assert f"container {spec.container_name(name)}" in removed
    ours = await backend.list_ours()
    assert name not in ours.containers
    assert name not in ours.volumes
    assert not folder.exists()
    assert await backend.delete(name) == []  # already gone: nothing claimed as removed


async def test_an_image_that_is_not_there_makes_nothing(backend: DockerInstances) -> None:
    instance = make_instance()
    with pytest.raises(ImageMissing, match="docker pull claworc-test/absent:1"):
        await backend.create(instance, image="claworc-test/absent:1", keys={}, config_text="{}")
    ours = await backend.list_ours()
    assert instance.name not in ours.containers
    assert instance.name not in ours.volumes
    assert not backend.folder(instance.name).exists()


async def test_a_port_taken_on_the_host_is_named_and_nothing_is_left(
    backend: DockerInstances,
) -> None:
    instance = make_instance()
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", instance.nodeport_terminal))
    squatter.listen(1)
    try:
        with pytest.raises(PortTaken) as caught:
            await made(backend, instance)
    finally:
        squatter.close()
    assert caught.value.port == instance.nodeport_terminal
    assert str(instance.nodeport_terminal) in str(caught.value)
    ours = await backend.list_ours()
    assert instance.name not in ours.containers
    assert instance.name not in ours.volumes
    assert not backend.folder(instance.name).exists()


async def test_a_missing_socket_is_named_before_any_call(tmp_path: object) -> None:
    with pytest.raises(EngineUnavailable, match="socket does not exist"):
        check_socket("unix:///nonexistent/docker.sock")
    engine = DockerEngine("unix:///nonexistent/docker.sock")
    with pytest.raises(EngineUnavailable, match="is dockerd running") as caught:
        await engine.start()
    assert "DOCKER_CONTEXT" in str(caught.value)  # contexts are not read: it says so


async def test_a_socket_path_that_is_a_plain_file_is_named(tmp_path: Any) -> None:
    path = tmp_path / "docker.sock"
    path.write_text("")
    with pytest.raises(EngineUnavailable, match="is not a socket"):
        check_socket(f"unix://{path}")


async def test_a_dead_socket_says_the_engine_does_not_answer(tmp_path: Any) -> None:
    path = tmp_path / "dead.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))  # bound, never listening: connect is refused
    try:
        engine = DockerEngine(f"unix://{path}")
        with pytest.raises(EngineUnavailable, match="does not answer"):
            await asyncio.wait_for(engine.start(), 10)
    finally:
        sock.close()
