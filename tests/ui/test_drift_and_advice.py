"""The drift view (missing objects, orphans; repairs behind a confirmation) and advice actions."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from claworc_emulator.resources import BY_PLURAL
from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.main import MainScreen
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env
from tests.ui.steps import accept_raise_memory_advice, open_drift


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
        table = await open_drift(pilot, 2, "two differences")
        drift = app.screen
        assert sorted(kinds(table)) == ["missing", "orphan"]
        missing_row = kinds(table).index("missing")
        table.move_cursor(row=missing_row)
        await pilot.press("enter")
        await wait_for_screen(pilot, ConfirmModal)
        assert "re-create" in str(app.screen.query_one(".dialog-body Static").render())
        await pilot.press("y")
        await wait_for(lambda: table.row_count == 1, pilot=pilot, what="missing repaired")
        assert kinds(table) == ["orphan"]
        await pilot.press("D")
        await wait_for_screen(pilot, ConfirmModal)
        body = str(app.screen.query_one(".dialog-body Static").render())
        assert "will be deleted" in body
        await pilot.press("y")
        await wait_for(lambda: table.row_count == 0, pilot=pilot, what="orphan deleted")
        assert "No drift" in str(drift.query_one("#drift-status").render())
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_advice_action_after_an_oom_kill(env: Env) -> None:
    async with env.started(size=(160, 45), message_hook=env.hook) as (_, _, screen):
        env.emulator.oom_kill("claworc", "bot-alpha")
        await accept_raise_memory_advice(screen)
        env.emulator.heal("claworc", "bot-alpha")

        async def raised() -> bool:
            views = {v.name: v for v in await env.services.instances.list_views()}
            return views["bot-alpha"].instance.resources.memory_limit == "8Gi"

        await wait_for(raised, timeout=10, what="memory limit raised")
