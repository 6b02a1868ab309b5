"""The Docker tier: tests against a real Docker engine, never a fake one.

The engine is the private one ``tests/docker/engine.sh start`` runs (``.ci/run`` starts it and
exports ``DOCKER_HOST``); by hand: ``eval "$(tests/docker/engine.sh start)"``. Where no engine
answers, every test here is skipped with the reason — never faked — except where
``CLAWORC_REQUIRE_DOCKER=1`` (CI): there they fail.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import pytest

from claworc_tui.config import Settings
from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.errors import DockerFault
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.k8s.manifests import OWNER_LABEL
from claworc_tui.models.instance import Instance, InstanceSpec, InstanceStatus, Resources, Storage
from claworc_tui.models.names import derive_name
from claworc_tui.services import Services, open_services
from claworc_tui.services.docker_service import DockerInstanceService

HERE = Path(__file__).parent
PRIVATE_SOCKET = "unix:///tmp/claworc-dockerd/docker.sock"
NETWORK = "claworc-test"
IMAGE = (
    "claworc-test/openclaw:"
    + hashlib.sha256((HERE / "image" / "entrypoint.sh").read_bytes()).hexdigest()[:12]
)


def engine_host() -> str:
    """DOCKER_HOST if set, else the private engine's socket."""
    return os.environ.get("DOCKER_HOST") or PRIVATE_SOCKET


REQUIRE = "CLAWORC_REQUIRE_DOCKER"
"""Set to 1 by CI (.ci/run): a Docker tier that cannot run fails instead of skipping."""


def not_here(reason: str) -> NoReturn:
    """Skip the test (a developer machine without an engine), or fail it where CI requires
    the Docker tier: a CI run that never ran it must not pass."""
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{reason} ({REQUIRE}=1: the Docker tier must run here)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
async def engine() -> AsyncIterator[DockerEngine]:
    """A started connection to the test engine (the tier is skipped without one)."""
    eng = DockerEngine(engine_host())
    try:
        await eng.start()
    except DockerFault as exc:
        not_here(f"no Docker engine for the Docker tier ({exc}); run tests/docker/engine.sh start")
    try:
        await eng.call(f"images/{IMAGE}/json")
    except DockerFault:
        await eng.aclose()
        not_here(f"the test image {IMAGE} is missing; run tests/docker/engine.sh start")
    try:
        yield eng
    finally:
        await eng.aclose()


@pytest.fixture
async def backend(engine: DockerEngine, tmp_path: Path) -> AsyncIterator[DockerInstances]:
    """The instance operations on the test engine; every instance a test made is removed."""
    # Not --privileged: this sandbox's kernel refuses a container every capability ("unable to
    # apply caps"); tests/unit checks that the real default asks for it.
    # An owner id of this test's own: the teardown removes only what this test made (runs in
    # other checkouts share the engine, and delete refuses anything of another owner anyway).
    owner = f"test-{uuid.uuid4().hex[:12]}"
    ops = DockerInstances(
        engine, tmp_path / "instances", owner=owner, network=NETWORK, privileged=False
    )
    yield ops
    ours = await ops.list_ours()
    for name in {*ours.containers, *ours.volumes}:
        await ops.delete(name)
    for stray in ours.strays:  # a temporary container a failed recreate of this test left
        if (stray.get("Labels") or {}).get(OWNER_LABEL) == owner:
            await engine.call(f"containers/{stray['Id']}", "DELETE", params={"force": "1"})


TEST_PREFIX = "dt-"


def free_pair() -> tuple[int, int]:
    """Two free TCP ports on 127.0.0.1 (the instance's VNC pair)."""
    ports: list[int] = []
    socks = []
    for _ in range(2):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        socks.append(sock)
        ports.append(sock.getsockname()[1])
    for sock in socks:
        sock.close()
    return ports[0], ports[1]


def make_instance(memory: str = "64Mi", name: str | None = None) -> Instance:
    """A record as the database would hold it, with a unique name and free ports."""
    chrome, terminal = free_pair()
    now = datetime.now(UTC)
    return Instance(
        id=1,
        name=name or f"{TEST_PREFIX}{uuid.uuid4().hex[:8]}",
        display_name="Docker test",
        nodeport_chrome=chrome,
        nodeport_terminal=terminal,
        status=InstanceStatus.RUNNING,
        resources=Resources(
            cpu_request="100m", cpu_limit="500m", memory_request="4Mi", memory_limit=memory
        ),
        storage=Storage(),
        clawdbot_config='{"agent": {"model": "x"}}',
        overrides=frozenset(),
        created_at=now,
        updated_at=now,
    )


@pytest.fixture
async def docker_services(
    engine: DockerEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Services]:
    """The app's services on the Docker runtime (the test engine); every instance is deleted."""
    monkeypatch.setenv("DOCKER_HOST", engine_host())
    settings = Settings(
        db=tmp_path / "data" / "c.db",
        config_dir=tmp_path / "config",
        state_dir=tmp_path / "state",
        runtime="docker",
        docker_network=NETWORK,
        docker_privileged=False,
    )
    opened = await open_services(settings)
    # A port range of this test's own: tests (and other checkouts) share the engine and the
    # host's ports, and a fixed range would collide with whatever another run left running.
    start = 30000 + 2 * random.randrange(0, 1300)
    await opened.instances.update_settings(
        {"image": IMAGE, "port_range_end": str(start + 19), "port_range_start": str(start)}
    )
    try:
        yield opened
    finally:
        for view in await opened.instances.list_views():
            async for _ in opened.instances.delete(view.name):
                pass
        await opened.aclose()


def docker_of(services: Services) -> DockerInstanceService:
    """``services.instances``, which these tests opened on Docker (never Kubernetes)."""
    svc = services.instances
    assert isinstance(svc, DockerInstanceService), svc
    return svc


async def created(services: Services, display: str, resources: Resources | None = None) -> str:
    """Create ``display`` through the service, step by step as the UI does; its instance name.

    Runs in other checkouts share the engine: put something unique in ``display``.
    """
    async for _ in services.instances.create(
        InstanceSpec(display_name=display, resources=resources or Resources())
    ):
        pass
    return derive_name(display)


class Background:
    """Runs :meth:`run` (reading a stream, say) as a task from construction until :meth:`stop`.

    Subclasses set up their state, then call ``super().__init__()``.
    """

    def __init__(self) -> None:
        self.task = asyncio.create_task(self.run())

    async def run(self) -> None:
        """The background work (override)."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Cancel the work and wait for it to end."""
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def made(backend: DockerInstances, instance: Instance | None = None) -> Instance:
    """Create ``instance`` (default: a new :func:`make_instance`) on the engine: the test
    image, no keys, an empty config."""
    instance = instance or make_instance()
    await backend.create(instance, image=IMAGE, keys={}, config_text="{}")
    return instance
