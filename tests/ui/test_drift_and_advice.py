"""The drift view (missing objects, orphans; repairs behind a confirmation) and advice actions."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual.widgets import Button, DataTable

from claworc_emulator.resources import BY_PLURAL
from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.drift import DriftScreen
from claworc_tui.ui.screens.main import MainScreen
from tests.ui.conftest import Env, wait_busy, wait_for


def kinds(table: DataTable[Text]) -> list[str]:
    """The KIND column, top to bottom."""
    return [table.get_row_at(i)[1].plain for i in range(table.row_count)]


async def test_drift_lists_and_repairs_after_confirmation(env: Env) -> None:
    env.emulator.api.delete(BY_PLURAL["services"], "claworc", "bot-beta-vnc", {})
    env.emulator.api.create(
        BY_PLURAL["configmaps"],
        "claworc",
        {
            "metadata": {
                "name": "bot-ghost-config",
                "labels": {"app": "bot-ghost", "managed-by": "claworc"},
            },
            "data": {},
        },
    )
    app = env.app()
    async with app.run_test(size=(140, 40), message_hook=env.hook) as pilot:
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DriftScreen))
        drift = app.screen
        table = drift.query_one("#drift-table", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2, what="two differences")
        assert sorted(kinds(table)) == ["missing", "orphan"]
        missing_row = kinds(table).index("missing")
        table.move_cursor(row=missing_row)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "re-create" in str(app.screen.query_one(".dialog-body Static").render())
        await pilot.press("y")
        await wait_for(pilot, lambda: table.row_count == 1, what="missing repaired")
        assert kinds(table) == ["orphan"]
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        body = str(app.screen.query_one(".dialog-body Static").render())
        assert "will be deleted" in body
        await pilot.press("y")
        await wait_for(pilot, lambda: table.row_count == 0, what="orphan deleted")
        assert "No drift" in str(drift.query_one("#drift-status").render())
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_advice_action_after_an_oom_kill(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(160, 45), message_hook=env.hook) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await wait_for(pilot, lambda: screen.instance_list.row_count == 3)
        env.emulator.oom_kill("claworc", "bot-alpha")
        detail = screen.detail
        # The pod crash-loops meanwhile, so wait without the pilot's "every widget idle".
        await wait_busy(
            lambda: bool(detail.query("#advice-raise-memory")), what="raise-memory advice"
        )
        detail.query_one("#advice-raise-memory", Button).press()
        await wait_busy(lambda: isinstance(app.screen, ConfirmModal), what="confirmation")
        await wait_busy(lambda: app.screen.focused is not None, what="modal ready")
        app.screen.query_one("#confirm", Button).press()
        env.emulator.heal("claworc", "bot-alpha")

        async def raised() -> bool:
            views = {v.name: v for v in await env.services.instances.list_views()}
            return views["bot-alpha"].instance.resources.memory_limit == "8Gi"

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not await raised():
            assert loop.time() < deadline, "memory limit not raised"
            await asyncio.sleep(0.1)
