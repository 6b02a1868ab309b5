"""The drift view's D: says what was really deleted; an orphan gone meanwhile is no repair."""

from __future__ import annotations

from claworc_emulator.resources import BY_PLURAL
from claworc_tui.ui.screens.confirm import ConfirmModal
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env
from tests.ui.steps import open_drift


def notes(app: object) -> list[str]:
    return [n.message for n in app._notifications]  # type: ignore[attr-defined]


async def test_d_reports_an_orphan_gone_meanwhile_not_as_repaired(env: Env) -> None:
    labels = {"app": "bot-ghost", "managed-by": "claworc"}
    ghost = {"metadata": {"name": "bot-ghost-config", "labels": labels}, "data": {}}
    env.emulator.api.create(BY_PLURAL["configmaps"], "claworc", ghost)
    app = env.app()
    async with app.run_test(size=(140, 40), message_hook=env.hook) as pilot:
        await open_drift(pilot, 1, "the orphan")
        env.emulator.api.delete(BY_PLURAL["configmaps"], "claworc", "bot-ghost-config", {})
        await pilot.press("D")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await wait_for(
            lambda: any("already gone" in n for n in notes(app)), pilot=pilot, what="the result"
        )
        said = next(n for n in notes(app) if "already gone" in n)
        assert said.startswith("repaired 0"), said
        assert "ConfigMap/bot-ghost-config" in said
