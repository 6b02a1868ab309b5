"""``N`` clone and ``U`` redeploy in the app, on real Services (SQLite + the emulator)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from pydantic import SecretStr
from textual.pilot import Pilot
from textual.widgets import Input, Static

from claworc_tui.models.instance import Provider
from claworc_tui.ui.screens.create import CreateInstanceModal
from claworc_tui.ui.screens.fleet_actions import RedeployModal
from claworc_tui.ui.screens.progress import ProgressModal
from claworc_tui.ui.widgets.form import FieldError
from claworc_tui.ui.widgets.instance_list import InstanceList
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env, SnapCompare
from tests.ui.steps import open_clone_form
from tests.ui.test_snapshots import listed

KEY = "sk-ant-api03.CLONEUI.CLONEUI-6666-abcd"


def image_of(env: Env, name: str) -> str:
    dep = next(
        d for d in env.emulator.objects("deployments", "claworc") if d["metadata"]["name"] == name
    )
    return str(dep["spec"]["template"]["spec"]["containers"][0]["image"])


def restarted(env: Env, name: str) -> str | None:
    dep = next(
        d for d in env.emulator.objects("deployments", "claworc") if d["metadata"]["name"] == name
    )
    annotations: dict[str, Any] = dep["spec"]["template"]["metadata"].get("annotations") or {}
    return annotations.get("kubectl.kubernetes.io/restartedAt")


async def test_clone_opens_a_filled_form_and_creates(env: Env) -> None:
    await env.services.instances.set_override("bot-alpha", Provider.ANTHROPIC, SecretStr(KEY))
    app = env.app()
    async with app.run_test(size=(160, 45), message_hook=env.hook) as pilot:
        listing = app.screen.query_one(InstanceList)
        form = await open_clone_form(pilot)
        name = form.query_one("#display_name", Input)
        assert name.value == "Alpha copy"
        note = str(form.query_one("#create-note", Static).render())
        assert "New: its own ports, and empty volumes" in note
        assert "key overrides (Anthropic)" in note
        # The override is copied into its (masked) field, and never drawn.
        assert form.query_one(f"#{Provider.ANTHROPIC.value}", Input).value == KEY
        assert "CLONEUI" not in app.export_screenshot()
        # A taken name is refused in the form; nothing is sent.
        name.value = "Beta"
        await pilot.press("ctrl+s")
        error = form.query_one("#display_name-error", FieldError)
        await wait_for(lambda: "already exists" in str(error.render()), pilot=pilot, what="error")
        assert isinstance(app.screen, CreateInstanceModal)
        name.value = "Bot Delta"
        await pilot.press("ctrl+s")
        await wait_for(
            lambda: _has(env, "bot-delta"),
            pilot=pilot,
            timeout=15,
            what="the clone in the database",
        )
        await wait_for(lambda: not isinstance(app.screen, ProgressModal), pilot=pilot, timeout=15)
        await wait_for(
            lambda: listing.selected_name == "bot-delta", pilot=pilot, what="select clone"
        )
    delta = await env.services.instances.get("bot-delta")
    assert (delta.nodeport_chrome, delta.nodeport_terminal) == (30106, 30107)
    keys = await env.services.store.instances.overrides("bot-delta")
    assert keys[Provider.ANTHROPIC].get_secret_value() == KEY


async def _has(env: Env, name: str) -> bool:
    return name in await env.names()


async def test_redeploy_asks_for_the_image_and_rolls(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(80, 24), message_hook=env.hook) as pilot:
        listing = app.screen.query_one(InstanceList)
        await wait_for(lambda: listing.selected_name == "bot-alpha", pilot=pilot, what="selection")
        await pilot.press("U")
        await wait_for_screen(pilot, RedeployModal, showing="#redeploy-image", what="dialog")
        field = app.screen.query_one("#redeploy-image", Input)
        assert field.value == "glukw/openclaw-vnc-chrome:latest"
        field.value = "Not An Image"
        await pilot.press("enter")
        error = app.screen.query_one("#redeploy-image-error", FieldError)
        assert "not a valid image reference" in str(error.render())
        assert isinstance(app.screen, RedeployModal)
        assert (await env.services.instances.get("bot-alpha")).image is None
        field.value = "example.com/bot:2"
        await pilot.press("enter")
        await wait_for(
            lambda: image_of(env, "bot-alpha") == "example.com/bot:2", pilot=pilot, timeout=10
        )
        await wait_for(lambda: not isinstance(app.screen, ProgressModal), pilot=pilot, timeout=20)
    assert (await env.services.instances.get("bot-alpha")).image == "example.com/bot:2"


async def test_redeploy_marked_instances(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(160, 45), message_hook=env.hook) as pilot:
        listing = app.screen.query_one(InstanceList)
        await wait_for(lambda: listing.selected_name == "bot-alpha", pilot=pilot, what="selection")
        before = {n: restarted(env, n) for n in ("bot-alpha", "bot-beta", "bot-gamma")}
        await pilot.press("space", "space")
        await wait_for(lambda: len(listing.marked) == 2, pilot=pilot, what="two marks")
        await pilot.press("U")
        await wait_for_screen(pilot, RedeployModal, what="dialog")
        assert app.screen.query_one("#redeploy-image", Input).value == ""
        await pilot.press("enter")
        await wait_for(
            lambda: all(restarted(env, n) != before[n] for n in ("bot-alpha", "bot-beta")),
            pilot=pilot,
            timeout=10,
            what="both rolled",
        )
        await wait_for(lambda: not isinstance(app.screen, ProgressModal), pilot=pilot, timeout=20)
    assert restarted(env, "bot-gamma") == before["bot-gamma"]
    assert [i.image for i in await env.services.store.instances.list()] == [None, None, None]


async def test_read_only_refuses_clone_and_redeploy(read_only_env: Env) -> None:
    env = read_only_env
    app = env.app()
    async with app.run_test(size=(160, 45), message_hook=env.hook) as pilot:
        listing = app.screen.query_one(InstanceList)
        await wait_for(lambda: listing.selected_name is not None, pilot=pilot, what="selection")
        await pilot.press("N", "U")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, CreateInstanceModal | RedeployModal)
        assert any("Read-only" in t for t in env.toasts())


class TestSnapshots:
    """The clone form and the redeploy dialog at 80x24 (deterministic: see test_snapshots)."""

    @pytest.fixture(autouse=True)
    def seeded_random(self) -> None:
        random.seed(20250115)

    async def test_clone_form_80x24(self, env: Env, snap_compare: SnapCompare) -> None:
        async def form(pilot: Pilot[Any]) -> None:
            await listed(pilot)
            await pilot.press("N")
            app = pilot.app
            await wait_for_screen(pilot, CreateInstanceModal)
            hint = app.screen.query_one("#name-preview", Static)
            await wait_for(lambda: "Chrome port" in str(hint.render()), pilot=pilot, what="preview")

        assert await snap_compare(env.app(), terminal_size=(80, 24), run_before=form)

    async def test_redeploy_dialog_80x24(self, env: Env, snap_compare: SnapCompare) -> None:
        async def dialog(pilot: Pilot[Any]) -> None:
            await listed(pilot)
            await pilot.press("U")
            app = pilot.app
            await wait_for_screen(pilot, RedeployModal, showing="#redeploy-image")
            app.screen.query_one("#redeploy-image", Input).value = "nginx:1 2"
            await pilot.press("enter")

        assert await snap_compare(env.app(), terminal_size=(80, 24), run_before=dialog)
