"""Nothing is adopted, replaced, started, stopped or deleted on Docker that is not this database's.

Each test plants on the real engine what a user may really have: a volume or a container of the
instance's name made by another claworc database, one made before owner ids (no owner label),
or one made by hand; and checks that create, delete, recreate, drift and repair leave it alone.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any, NamedTuple

import pytest

from claworc_tui.docker import spec
from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.errors import DockerFault, DockerNotFound, NotOurs
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.instance import InstanceSpec, InstanceStatus
from claworc_tui.models.names import derive_name
from claworc_tui.services import Services
from claworc_tui.services.docker_service import DockerInstanceService
from claworc_tui.services.views import DriftKind
from tests.docker.conftest import IMAGE, NETWORK, created, docker_of, made, make_instance

OTHER = "another-database"


@pytest.fixture
async def planted(engine: DockerEngine) -> AsyncIterator[list[str]]:
    """Names of containers and volumes a test planted; removed at the end, whatever happens."""
    made: list[str] = []
    yield made
    for name in reversed(made):
        for path in (f"containers/{name}", f"volumes/{name}"):
            try:
                await engine.call(path, "DELETE", params={"force": "1"})
            except DockerNotFound:
                continue


async def plant_volume(
    engine: DockerEngine, planted: list[str], vname: str, labels: dict[str, str]
) -> None:
    await engine.call("volumes/create", "POST", body={"Name": vname, "Labels": labels})
    planted.append(vname)


async def plant_container(
    engine: DockerEngine, planted: list[str], cname: str, labels: dict[str, str]
) -> str:
    body: dict[str, Any] = {
        "Image": IMAGE,
        "Labels": labels,
        "HostConfig": {"NetworkMode": NETWORK},
    }
    made = await engine.call("containers/create", "POST", params={"name": cname}, body=body)
    planted.append(cname)
    return str(made["Id"])


async def test_create_refuses_a_volume_of_that_name_that_is_not_ours(
    backend: DockerInstances, engine: DockerEngine, planted: list[str]
) -> None:
    instance = make_instance()
    vname = spec.volume_name(instance.name, "clawd")
    await plant_volume(engine, planted, vname, spec.labels(instance.name, OTHER))

    with pytest.raises(NotOurs, match=f"volume {vname} exists.*{OTHER}"):
        await made(backend, instance)

    assert (await engine.call(f"volumes/{vname}"))["Labels"]["claworc.dev/owner"] == OTHER
    ours = await backend.list_ours()
    assert instance.name not in ours.volumes  # nothing else was made
    assert await backend.inspect(instance.name) is None
    assert not backend.folder(instance.name).exists()


async def test_a_failed_create_keeps_the_volumes_that_were_there_before(
    backend: DockerInstances, engine: DockerEngine, planted: list[str]
) -> None:
    instance = make_instance()
    vname = spec.volume_name(instance.name, "clawd")
    await plant_volume(engine, planted, vname, spec.labels(instance.name, backend.owner))
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", instance.nodeport_chrome))
    squatter.listen(1)
    try:
        with pytest.raises(DockerFault):
            await made(backend, instance)
    finally:
        squatter.close()

    assert await backend.volume(vname) is not None  # the data that was there is kept
    assert (await backend.list_ours()).volumes[instance.name] == [vname]  # the rest undone
    assert await backend.inspect(instance.name) is None


async def test_delete_refuses_a_container_of_that_name_that_is_not_ours(
    backend: DockerInstances, engine: DockerEngine, planted: list[str]
) -> None:
    instance = make_instance()
    cname = spec.container_name(instance.name)
    theirs = await plant_container(engine, planted, cname, spec.labels(instance.name, OTHER))

    with pytest.raises(NotOurs, match=f"container {cname} exists.*{OTHER}"):
        await backend.delete(instance.name)
    with pytest.raises(NotOurs):
        await backend.recreate(instance, image=IMAGE, keys={}, config_text="{}")
    with pytest.raises(NotOurs):
        await backend.start(instance.name)

    doc = await engine.call(f"containers/{cname}/json")
    assert doc["Id"] == theirs
    assert doc["State"]["Running"] is False


class TakenOver(NamedTuple):
    """Our record of an instance whose container another database has replaced with its own."""

    svc: DockerInstanceService
    name: str
    cname: str
    theirs: str
    """The other database's container's id."""


@pytest.fixture
async def taken_over(
    docker_services: Services, engine: DockerEngine, planted: list[str]
) -> TakenOver:
    """A new instance of ours whose container is then removed, and one of another database
    planted under its name."""
    svc = docker_of(docker_services)
    name = await created(docker_services, f"Taken {uuid.uuid4().hex[:6]}")
    ours = await svc.ops.inspect(name)
    assert ours is not None
    await engine.call(f"containers/{ours['Id']}", "DELETE", params={"force": "1"})
    cname = spec.container_name(name)
    theirs = await plant_container(engine, planted, cname, spec.labels(name, OTHER))
    return TakenOver(svc, name, cname, theirs)


async def test_a_record_whose_name_is_held_by_another_database_is_never_touched(
    taken_over: TakenOver, engine: DockerEngine
) -> None:
    svc, name, cname, theirs = taken_over

    report = await svc.drift()
    held = [i for i in report.items if i.object == f"Container/{cname}"]
    assert [i.kind for i in held] == [DriftKind.OTHER_DATABASE]
    assert "not ours holds the name" in held[0].detail
    result = await svc.repair(report.items)
    rows = await svc.delete_plan(name)
    assert rows[0].state == f"not ours (claworc database {OTHER})"

    doc = await engine.call(f"containers/{cname}/json")
    assert doc["Id"] == theirs
    assert doc["State"]["Running"] is False  # never started as if it were ours
    assert result.deleted == ()
    # Its delete stops at the container that is not ours, keeping the record to retry.
    with pytest.raises(ClaworcError, match=r"not this database's"):
        async for _ in svc.delete(name):
            pass
    await engine.call(f"containers/{cname}", "DELETE", params={"force": "1"})


class Ours(NamedTuple):
    """This database's Docker service and its owner id (the label on everything it makes)."""

    svc: DockerInstanceService
    owner: str


@pytest.fixture
def ours(docker_services: Services) -> Ours:
    svc = docker_of(docker_services)
    assert svc.store.owner_id is not None
    return Ours(svc, svc.store.owner_id)


async def test_orphan_repair_spares_legacy_containers_and_other_owners_volumes(
    ours: Ours, engine: DockerEngine, planted: list[str]
) -> None:
    svc, owner = ours
    legacy_app = f"dt-legacy-{uuid.uuid4().hex[:6]}"
    legacy_labels = {"app": legacy_app, "managed-by": "claworc"}
    legacy = await plant_container(engine, planted, spec.container_name(legacy_app), legacy_labels)
    stray_app = f"dt-stray-{uuid.uuid4().hex[:6]}"
    await plant_container(
        engine, planted, spec.container_name(stray_app), spec.labels(stray_app, owner)
    )
    mine_vol = spec.volume_name(stray_app, "clawd")
    their_vol = spec.volume_name(stray_app, "chrome")
    await plant_volume(engine, planted, mine_vol, spec.labels(stray_app, owner))
    await plant_volume(engine, planted, their_vol, spec.labels(stray_app, OTHER))

    report = await svc.drift()
    kinds = {i.object: i.kind for i in report.items}
    assert kinds[f"Container/{spec.container_name(legacy_app)}"] is DriftKind.OTHER_DATABASE
    assert kinds[f"Container/{spec.container_name(stray_app)}"] is DriftKind.ORPHAN
    result = await svc.repair(report.items)

    assert set(result.deleted) == {
        f"Container/{spec.container_name(stray_app)}",
        f"Volume/{mine_vol}",
    }
    assert (await engine.call(f"containers/{legacy}/json"))["Id"] == legacy
    assert (await engine.call(f"volumes/{their_vol}"))["Labels"]["claworc.dev/owner"] == OTHER


async def test_a_create_whose_start_fails_keeps_a_volume_of_ours_that_was_there(
    ours: Ours, engine: DockerEngine, planted: list[str]
) -> None:
    svc, owner = ours
    display = f"Kept {uuid.uuid4().hex[:6]}"
    name = derive_name(display)
    vname = spec.volume_name(name, "clawd")
    await plant_volume(engine, planted, vname, spec.labels(name, owner))  # data left earlier
    first_port = (await svc.store.settings.get()).port_range_start
    squatter = socket.socket()  # the start fails: the first pair's port is taken
    squatter.bind(("127.0.0.1", first_port))
    squatter.listen(1)
    try:
        with pytest.raises(ClaworcError, match="start"):
            async for _ in svc.create(InstanceSpec(display_name=display)):
                pass
    finally:
        squatter.close()

    assert await svc.ops.volume(vname) is not None
    assert await svc.ops.inspect(name) is None
    assert (await svc.ops.list_ours()).volumes.get(name) == [vname]
    assert await svc.store.instances.find(name) is None


async def test_the_sweep_never_rolls_back_a_container_that_is_not_ours(
    taken_over: TakenOver, engine: DockerEngine
) -> None:
    svc, name, cname, theirs = taken_over
    dead = f"{socket.gethostname()}:999999999"
    await svc.store.instances.set_status(name, InstanceStatus.CREATING, step="objects", owner=dead)

    done = await svc.sweep()

    assert len(done) == 1
    assert "not this database's" in done[0]
    assert (await engine.call(f"containers/{cname}/json"))["Id"] == theirs
    assert (await svc.get(name)).status is InstanceStatus.ERROR  # kept, with the reason
    await engine.call(f"containers/{cname}", "DELETE", params={"force": "1"})
