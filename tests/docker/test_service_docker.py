"""The instance service on Docker: live status through the fleet hub, the OOM advice and its fix."""

from __future__ import annotations

import json
import socket
import uuid

from claworc_tui.models.instance import InstanceSpec, InstanceStatus, Resources
from claworc_tui.services import Services
from claworc_tui.services.runtime import RuntimeKind
from tests._support.wait import wait_for
from tests.docker.conftest import docker_of

RUN = uuid.uuid4().hex[:6]
"""Unique per run: runs in other checkouts share the engine."""
OOM, HALF = f"bot-oom-{RUN}", f"bot-half-{RUN}"


async def test_oomkilled_reaches_the_view_and_the_one_key_fix_keeps_the_data(
    docker_services: Services,
) -> None:
    svc = docker_of(docker_services)
    assert docker_services.runtime is RuntimeKind.DOCKER
    assert docker_services.context_name == "docker"
    spec = InstanceSpec(
        display_name=f"Oom {RUN}",
        resources=Resources(memory_request="8Mi", memory_limit="16Mi"),
        clawdbot_config=json.dumps({"test_alloc_mb": 64}),
    )
    async for _ in svc.create(spec):
        pass
    await svc.list_views(settle=10)

    def oom() -> bool:
        view = svc.hub.view(OOM)
        return bool(view and "OOMKilled" in (view.status, view.last_termination))

    await wait_for(oom, timeout=20, what="OOMKilled in the fleet view")
    details = await svc.details(OOM)
    fix = next(a for a in details.advice if a.code == "raise-memory")
    assert fix.action == "Raise memory limit to 32Mi"
    volumes = (await svc.ops.list_ours()).volumes[OOM]

    done = await svc.apply_advice(OOM, "raise-memory")

    assert done == "memory_limit 16Mi → 32Mi"
    doc = await svc.ops.inspect(OOM)
    assert doc is not None
    assert doc["HostConfig"]["Memory"] == 32 * 1024**2
    assert (await svc.get(OOM)).resources.memory_limit == "32Mi"
    assert (await svc.ops.list_ours()).volumes[OOM] == volumes
    activity = await svc.activity(instance=OOM)
    assert any(e.action == "advice applied" for e in activity)


async def test_a_create_left_by_a_dead_process_is_rolled_back_by_the_sweep(
    docker_services: Services,
) -> None:
    svc = docker_of(docker_services)
    async for _ in svc.create(InstanceSpec(display_name=f"Half {RUN}")):
        pass
    dead = f"{socket.gethostname()}:999999999"
    await svc.store.instances.set_status(HALF, InstanceStatus.CREATING, step="objects", owner=dead)

    done = await svc.sweep()

    assert done == [f"{HALF}: rolled back the create"]
    assert await svc.store.instances.find(HALF) is None
    ours = await svc.ops.list_ours()
    assert HALF not in ours.containers
    assert HALF not in ours.volumes
    assert not svc.ops.folder(HALF).exists()
