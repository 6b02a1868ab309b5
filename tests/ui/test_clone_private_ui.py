"""The clone form of a private instance says the clone is private and makes it private (the
form rebuilds the spec: the exposure must survive it)."""

from __future__ import annotations

from textual.widgets import Input, Static

from claworc_tui.models.exposure import Exposure
from claworc_tui.ui.screens.progress import ProgressModal
from tests._support.wait import wait_for
from tests.ui.conftest import Env
from tests.ui.steps import open_clone_form


async def test_the_clone_form_of_a_private_instance_makes_a_private_clone(env: Env) -> None:
    assert env.services.reach is not None
    await env.services.reach.set_exposure("bot-alpha", Exposure.PRIVATE)
    app = env.app()
    async with app.run_test(size=(160, 45), message_hook=env.hook) as pilot:
        form = await open_clone_form(pilot)
        note = str(form.query_one("#create-note", Static).render())
        assert "private: no NodePorts" in note
        hint = form.query_one("#name-preview", Static)
        await wait_for(
            lambda: "private: no NodePorts" in str(hint.render()), pilot=pilot, what="preview"
        )
        form.query_one("#display_name", Input).value = "Bot Hidden"
        await pilot.press("ctrl+s")

        async def made() -> bool:
            return "bot-hidden" in await env.names()

        await wait_for(made, pilot=pilot, timeout=15, what="the clone in the database")
        await wait_for(lambda: not isinstance(app.screen, ProgressModal), pilot=pilot, timeout=15)
    clone = await env.services.instances.get("bot-hidden")
    assert (clone.exposure, clone.node_ports) == (Exposure.PRIVATE, None)
