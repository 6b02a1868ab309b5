"""The full-screen app on the Docker runtime, driven by keys, against a real engine."""

from __future__ import annotations

from textual.widgets import Button, Input, Static

from claworc_tui.app import ClaworcApp
from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.models.instance import InstanceSpec, Resources
from claworc_tui.services import Services
from claworc_tui.ui.screens.confirm import DeleteModal
from claworc_tui.ui.screens.main import MainScreen
from tests.ui.conftest import wait_busy


async def test_the_tui_runs_the_lifecycle_on_docker(
    docker_services: Services, engine: DockerEngine
) -> None:
    svc = docker_services.instances
    small = Resources(memory_request="8Mi", memory_limit="64Mi")
    async for _ in svc.create(InstanceSpec(display_name="Tui", resources=small)):
        pass
    app = ClaworcApp(docker_services, environ={})
    async with app.run_test(size=(160, 45)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        listing = screen.instance_list

        def status() -> str | None:
            view = listing.views.get("bot-tui")
            return view.status if view else None

        await wait_busy(lambda: status() == "Running", within=20, what="Running")
        header = str(screen.query_one("#header-cluster", Static).render())
        assert header.startswith("docker unix://")

        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await wait_busy(lambda: status() == "Stopped", within=20, what="Stopped")
        doc = await engine.call("containers/claworc-bot-tui/json")
        assert doc["State"]["Status"] == "exited"  # stop keeps the container

        await pilot.press("s")  # one start needs no confirmation
        await wait_busy(lambda: status() == "Running", within=20, what="Running again")

        # A change made behind the app's back reaches the row through the event stream.
        await engine.call("containers/claworc-bot-tui/kill", "POST")
        await wait_busy(lambda: status() == "Error", within=10, what="the kill shown")

        await pilot.press("D")
        await wait_busy(lambda: isinstance(app.screen, DeleteModal), what="delete modal")
        modal = app.screen
        modal.query_one("#confirm-name", Input).value = "bot-tui"
        await pilot.pause()
        modal.query_one("#confirm", Button).press()
        await wait_busy(lambda: "bot-tui" not in listing.views, within=20, what="the row gone")
    ours = await DockerInstances(engine, docker_services.config.db.parent).list_ours()
    assert "bot-tui" not in ours.containers
    assert "bot-tui" not in ours.volumes
