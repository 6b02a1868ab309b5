"""A failed operation's progress marks the step that failed (✖), not as still running (◐)."""

from __future__ import annotations

from textual.widgets import Input, Static

from claworc_tui.ui.screens.progress import Outcome, ProgressModal
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env
from tests.ui.steps import open_create_form


async def test_the_failed_step_is_marked_failed(env: Env) -> None:
    env.emulator.inject_failure(
        "POST", r"/services$", status=403, reason="Forbidden", message="services is forbidden"
    )
    app = env.app()
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_create_form(pilot)
        form.query_one("#display_name", Input).value = "Doomed"
        await pilot.press("ctrl+s")
        progress = await wait_for_screen(pilot, ProgressModal, timeout=10)
        assert isinstance(progress, ProgressModal)
        await wait_for(lambda: progress.outcome is not None, pilot=pilot, timeout=20)
        assert progress.outcome == Outcome.FAILED
        steps = str(progress.query_one("#progress-steps", Static).render())
        assert "✖ 5/6 service" in steps, steps
        assert "◐" not in steps, steps
        assert "✓ 4/6 config" in steps
