"""The drift view's a: another database's instance is previewed, then adopted into this one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from textual.widgets import Static

from claworc_tui.services import Services
from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.drift import DriftScreen
from tests._support.kube import kube_of
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env
from tests.ui.harness import opened, seed
from tests.ui.steps import open_drift


@asynccontextmanager
async def their_bot(env: Env) -> AsyncIterator[Services]:
    """Another database on the same namespace, which has just created "Their Bot"."""
    other = env.services.config.model_copy(update={"db": env.folder / "other" / "claworc.db"})
    async with opened(other) as theirs:
        await seed(theirs, "Their Bot")
        yield theirs


async def test_a_previews_then_adopts_an_instance_owned_elsewhere(env: Env) -> None:
    async with their_bot(env) as theirs:
        made = await theirs.instances.get("bot-their-bot")
    before = await env.names()
    assert "bot-their-bot" not in before
    app = env.app()
    async with app.run_test(size=(160, 45), message_hook=env.hook) as pilot:
        table = await open_drift(pilot, 1, "the instance owned elsewhere")
        assert "owned elsewhere" in str(table.get_row_at(0)[1])
        await pilot.press("a")
        await wait_for_screen(pilot, ConfirmModal, what="the preview")
        shown = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "Adopt 1 instance?" in shown
        assert "bot-their-bot" in shown
        assert f"nodeport, ports {made.nodeport_chrome},{made.nodeport_terminal}" in shown
        # The preview wrote nothing.
        assert await env.names() == before
        await pilot.press("y")
        await wait_for(
            lambda: any("adopted 1 instance" in t for t in env.toasts()), pilot=pilot, what="result"
        )
        await wait_for(lambda: table.row_count == 0, pilot=pilot, what="no drift left")
    assert "bot-their-bot" in await env.names()
    record = await env.services.instances.get("bot-their-bot")
    assert record.display_name == "Their Bot"
    assert (record.nodeport_chrome, record.nodeport_terminal) == (
        made.nodeport_chrome,
        made.nodeport_terminal,
    )


async def test_a_previews_an_instance_with_a_hand_written_overrides_annotation(env: Env) -> None:
    async with their_bot(env) as theirs:
        # Edited by hand (kubectl annotate): a space after the comma.
        await kube_of(theirs).transport.call(
            "patch",
            "secrets",
            "patch_namespaced_secret",
            name="bot-their-bot-keys",
            namespace=kube_of(theirs).namespace,
            body={"metadata": {"annotations": {"claworc.dev/key-overrides": "anthropic, openai"}}},
        )
    app = env.app()
    async with app.run_test(size=(160, 45), message_hook=env.hook) as pilot:
        await open_drift(pilot, 1, "the instance owned elsewhere")
        await pilot.press("a")
        await wait_for_screen(pilot, ConfirmModal, what="the preview")
        shown = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "Adopt 1 instance?" in shown
        await pilot.press("n")
        await wait_for_screen(pilot, DriftScreen, what="back")
    assert "bot-their-bot" not in await env.names()
