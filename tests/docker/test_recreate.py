"""Recreate (new limits, the OOM fix) never leaves an instance without its container."""

from __future__ import annotations

import socket
import uuid

import pytest

from claworc_tui.docker import spec
from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.errors import DockerFault
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.instance import InstanceSpec, Resources
from claworc_tui.services import Services
from tests.docker.conftest import IMAGE, docker_of, made, make_instance


async def _names(backend: DockerInstances, name: str) -> list[str]:
    found = await backend.engine.call("containers/json", params={"all": "1"})
    prefix = spec.container_name(name)
    return sorted(
        str(n).lstrip("/")
        for c in found
        for n in c.get("Names") or []
        if str(n).lstrip("/").startswith(prefix)
    )


async def test_a_limit_the_engine_refuses_keeps_the_old_container_running(
    backend: DockerInstances,
) -> None:
    instance = await made(backend)
    before = await backend.inspect(instance.name)
    assert before is not None
    too_many = instance.model_copy(
        update={"resources": instance.resources.model_copy(update={"cpu_limit": "512"})}
    )

    with pytest.raises(DockerFault, match="CPU"):
        await backend.recreate(too_many, image=IMAGE, keys={}, config_text="{}")

    after = await backend.inspect(instance.name)
    assert after is not None
    assert after["Id"] == before["Id"]
    assert after["State"]["Running"] is True
    assert await _names(backend, instance.name) == [spec.container_name(instance.name)]


async def test_a_new_container_that_cannot_start_gives_the_old_one_back(
    backend: DockerInstances,
) -> None:
    instance = make_instance()
    await backend.create(instance, image=IMAGE, keys={}, config_text="{}", start=False)
    before = await backend.inspect(instance.name)
    assert before is not None
    bigger = instance.model_copy(
        update={"resources": instance.resources.model_copy(update={"memory_limit": "96Mi"})}
    )
    squatter = socket.socket()  # the new container's start fails: its port is taken
    squatter.bind(("127.0.0.1", instance.nodeport_chrome))
    squatter.listen(1)
    try:
        with pytest.raises(DockerFault, match="old container"):
            await backend.recreate(bigger, image=IMAGE, keys={}, config_text="{}", start=True)
    finally:
        squatter.close()

    after = await backend.inspect(instance.name)
    assert after is not None
    assert after["Id"] == before["Id"]
    assert after["HostConfig"]["Memory"] == 64 * 1024**2  # the old limits
    assert await _names(backend, instance.name) == [spec.container_name(instance.name)]

    await backend.recreate(bigger, image=IMAGE, keys={}, config_text="{}", start=True)
    done = await backend.inspect(instance.name)
    assert done is not None
    assert done["HostConfig"]["Memory"] == 96 * 1024**2
    assert done["State"]["Running"] is True
    assert await _names(backend, instance.name) == [spec.container_name(instance.name)]


async def test_a_cpu_limit_above_the_host_is_refused_at_entry(docker_services: Services) -> None:
    svc = docker_of(docker_services)
    async for _ in svc.create(InstanceSpec(display_name="Cpu Entry")):
        pass
    before = await svc.ops.inspect("bot-cpu-entry")
    assert before is not None

    with pytest.raises(ValidationFailed, match="CPUs"):
        await svc.update_resources("bot-cpu-entry", Resources(cpu_limit="512"))

    after = await svc.ops.inspect("bot-cpu-entry")
    assert after is not None
    assert after["Id"] == before["Id"]
    assert (await svc.get("bot-cpu-entry")).resources.cpu_limit == Resources().cpu_limit


async def test_an_instance_with_its_own_image_keeps_it_through_create_and_recreate(
    docker_services: Services, engine: DockerEngine
) -> None:
    svc = docker_of(docker_services)
    run = uuid.uuid4().hex[:6]
    repo = IMAGE.split(":")[0]
    own = f"{repo}:own-{run}"  # the same image under another name, as a clone's would be
    await engine.call(f"images/{IMAGE}/tag", "POST", params={"repo": repo, "tag": f"own-{run}"})
    try:
        name = f"bot-own-image-{run}"
        spec_ = InstanceSpec(display_name=f"Own Image {run}", image=own)
        async for _ in svc.create(spec_):
            pass
        doc = await svc.ops.inspect(name)
        assert doc is not None
        assert doc["Config"]["Image"] == own

        await svc.update_resources(name, Resources(memory_request="8Mi", memory_limit="96Mi"))

        doc = await svc.ops.inspect(name)
        assert doc is not None
        assert doc["Config"]["Image"] == own  # not the settings' image
        assert doc["HostConfig"]["Memory"] == 96 * 1024**2
        async for _ in svc.delete(name):
            pass
    finally:
        await engine.call(f"images/{own}", "DELETE", params={"noprune": "1"})
