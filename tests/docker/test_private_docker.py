"""A private instance on Docker publishes no port (the record holds none): it is reached on its
container's own address, from the engine's host. Against the real test engine."""

from __future__ import annotations

import aiohttp
from pydantic import SecretStr

from claworc_tui.docker.instances import DockerInstances
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import InstanceSpec, Provider
from claworc_tui.services import Services
from tests._support.wait import wait_for
from tests.docker.conftest import IMAGE, make_instance

KEY = "sk-ant-api03.FAKE.DOCKERTEST.not.real-0001"


async def _answers(url: str) -> bool:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as r,
        ):
            return r.status == 200 and "claworc test vnc" in await r.text()
    except (aiohttp.ClientError, OSError, TimeoutError):
        return False


async def test_a_private_record_publishes_no_port(backend: DockerInstances) -> None:
    instance = make_instance().model_copy(
        update={"exposure": Exposure.PRIVATE, "nodeport_chrome": None, "nodeport_terminal": None}
    )
    keys = {Provider.ANTHROPIC: SecretStr(KEY)}
    await backend.create(instance, image=IMAGE, keys=keys, config_text='{"a": 1}')
    doc = await backend.inspect(instance.name)
    assert doc is not None
    assert not doc["HostConfig"]["PortBindings"], "nothing published on the host"
    networks = doc["NetworkSettings"]["Networks"]
    address = next(n["IPAddress"] for n in networks.values() if n.get("IPAddress"))
    # Reached on the container's own address (as the note says), port 6081.
    await wait_for(
        lambda: _answers(f"http://{address}:6081/"), timeout=30, what="the page on the container"
    )
    published = doc["NetworkSettings"].get("Ports") or {}
    assert all(not bindings for bindings in published.values())


async def test_private_default_on_docker_holds_no_ports_and_says_how_to_reach(
    docker_services: Services,
) -> None:
    svc = docker_services.instances
    await svc.update_settings({"default_exposure": "private"})
    steps = [p async for p in svc.create(InstanceSpec(display_name="Hidden"))]
    assert any(p.detail == "private: no published ports" for p in steps)
    instance = await svc.get("bot-hidden")
    assert (instance.exposure, instance.node_ports) == (Exposure.PRIVATE, None)
    urls = await svc.urls("bot-hidden")
    assert "None" not in urls.chrome
    assert urls.chrome.startswith("private: no published ports")
    assert "claworc-bot-hidden" in urls.chrome
