"""The full-screen app on the Docker runtime, driven by keys, against a real engine."""

from __future__ import annotations

import json
import uuid

from textual.widgets import Button, Input, Static

from claworc_tui.app import ClaworcApp
from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.errors import DockerNotFound
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.models.instance import InstanceSpec, Resources
from claworc_tui.services import Services
from claworc_tui.ui.screens.confirm import DeleteModal
from claworc_tui.ui.screens.main import MainScreen
from tests._support.wait import wait_for
from tests.docker.conftest import created
from tests.ui.steps import accept_raise_memory_advice

RUN = uuid.uuid4().hex[:6]
HUNGRY = f"bot-hungry-{RUN}"
TUI = f"bot-tui-{RUN}"
"""Unique per run: runs in other checkouts share the engine."""
SMALL = Resources(memory_request="8Mi", memory_limit="64Mi")


async def test_the_tui_runs_the_lifecycle_on_docker(
    docker_services: Services, engine: DockerEngine
) -> None:
    await created(docker_services, f"Tui {RUN}", SMALL)
    app = ClaworcApp(docker_services, environ={})
    async with app.run_test(size=(160, 45)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        listing = screen.instance_list

        def status() -> str | None:
            view = listing.views.get(TUI)
            return view.status if view else None

        await wait_for(lambda: status() == "Running", timeout=20, what="Running")
        header = str(screen.query_one("#header-cluster", Static).render())
        assert header.startswith("docker unix://")

        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await wait_for(lambda: status() == "Stopped", timeout=20, what="Stopped")
        doc = await engine.call(f"containers/claworc-{TUI}/json")
        assert doc["State"]["Status"] == "exited"  # stop keeps the container

        await pilot.press("s")  # one start needs no confirmation
        await wait_for(lambda: status() == "Running", timeout=20, what="Running again")

        # A change made behind the app's back reaches the row through the event stream.
        await engine.call(f"containers/claworc-{TUI}/kill", "POST")
        await wait_for(lambda: status() == "Error", timeout=10, what="the kill shown")

        await pilot.press("D")
        await wait_for(
            lambda: isinstance(app.screen, DeleteModal), timeout=10.0, what="delete modal"
        )
        modal = app.screen
        modal.query_one("#confirm-name", Input).value = TUI
        await pilot.pause()
        modal.query_one("#confirm", Button).press()
        await wait_for(lambda: TUI not in listing.views, timeout=20, what="the row gone")
    ours = await DockerInstances(engine, docker_services.config.db.parent).list_ours()
    assert TUI not in ours.containers
    assert TUI not in ours.volumes


async def test_oomkilled_shows_with_its_advice_and_the_one_key_fix_works(
    docker_services: Services, engine: DockerEngine
) -> None:
    svc = docker_services.instances
    spec = InstanceSpec(
        display_name=f"Hungry {RUN}",
        resources=Resources(memory_request="8Mi", memory_limit="128Mi"),
        clawdbot_config=json.dumps({"test_alloc_mb": 64}),  # the test image allocates 64 MiB
    )
    async for _ in svc.create(spec):
        pass
    app = ClaworcApp(docker_services, environ={})
    async with app.run_test(size=(160, 45)):
        screen = app.screen
        assert isinstance(screen, MainScreen)
        listing = screen.instance_list
        await wait_for(
            lambda: (v := listing.views.get(HUNGRY)) is not None and "OOMKilled" in v.status,
            timeout=20,
            what="OOMKilled in the row",
        )
        await accept_raise_memory_advice(screen)

        async def fixed() -> bool:
            try:  # between the old container's removal and the new one's creation: none
                doc = await engine.call(f"containers/claworc-{HUNGRY}/json")
            except DockerNotFound:
                return False
            return bool(doc["HostConfig"]["Memory"] == 256 * 1024**2)

        await wait_for(fixed, timeout=20, what="the container made again with 256Mi")
        # The shell holding 64 MiB fits in 256Mi: the row runs again.
        await wait_for(
            lambda: listing.views[HUNGRY].status == "Running", timeout=20, what="Running"
        )
    assert (await svc.get(HUNGRY)).resources.memory_limit == "256Mi"


async def test_redeploy_is_refused_on_docker_before_anything_is_asked(
    docker_services: Services,
) -> None:
    name = await created(docker_services, f"Redeploy {RUN}", SMALL)
    app = ClaworcApp(docker_services, environ={})
    async with app.run_test(size=(160, 45)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await wait_for(lambda: name in screen.instance_list.views, pilot=pilot, what="the row")
        await pilot.press("U")
        await wait_for(
            lambda: any("Kubernetes runtime only" in str(n.message) for n in app._notifications),
            pilot=pilot,
            timeout=10,
            what="the refusal",
        )
        assert app.screen is screen  # no image asked for
    assert (await docker_services.instances.get(name)).status.value == "running"
