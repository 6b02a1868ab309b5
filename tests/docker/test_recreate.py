"""Recreate (new limits, the OOM fix) never leaves an instance without its container."""

from __future__ import annotations

import socket

import pytest

from claworc_tui.docker import spec
from claworc_tui.docker.errors import DockerFault
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.instance import InstanceSpec, Resources
from claworc_tui.services import Services
from claworc_tui.services.docker_service import DockerInstanceService
from tests.docker.conftest import IMAGE, make_instance


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
    instance = make_instance()
    await backend.create(instance, image=IMAGE, keys={}, config_text="{}")
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
    svc = docker_services.instances
    assert isinstance(svc, DockerInstanceService)
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
