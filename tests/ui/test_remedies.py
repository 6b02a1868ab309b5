"""What to do about a refusal is said as this app's keys, never as a shell command to type
(where the app has a way), and the keys said do what they say.

Real parts: the app on real Services (SQLite + the emulator), a second database on the same
namespace.
"""

from __future__ import annotations

from textual.widgets import Input, Static

from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.create import CreateInstanceModal
from claworc_tui.ui.screens.progress import BACK_TO_FORM, Outcome, ProgressModal
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env
from tests.ui.harness import opened
from tests.ui.steps import instance_list, open_create_form, open_drift
from tests.ui.test_delete_confirm import open_delete
from tests.ui.test_drift_adopt import their_bot

ADOPT_KEYS = "To adopt it here: d (Drift), select {name}, then a."


async def failed_progress(env: Env, progress: object) -> str:
    assert isinstance(progress, ProgressModal)
    await wait_for(lambda: progress.outcome is not None, timeout=20, what="the outcome")
    assert progress.outcome == Outcome.FAILED
    return str(progress.query_one("#progress-result", Static).render())


async def test_create_of_a_name_another_database_runs_says_the_keys_that_adopt_it(
    env: Env,
) -> None:
    async with their_bot(env):
        pass
    app = env.app()
    async with app.run_test(size=(160, 45), message_hook=env.hook) as pilot:
        form = await open_create_form(pilot)
        form.query_one("#display_name", Input).value = "Their Bot"
        await pilot.press("ctrl+s")
        said = await failed_progress(env, await wait_for_screen(pilot, ProgressModal))
        assert "already runs in the cluster, owned by claworc database" in said
        assert ADOPT_KEYS.format(name="bot-their-bot") in said, said
        assert "claworc-tui adopt" not in said
        # Close leads back to the form, where d would be typed: the modal says how out of it.
        assert said.endswith(BACK_TO_FORM), said
        # The form comes back to choose another name; the keys said lead to the adoption:
        # d opens the drift view, a previews it.
        await pilot.press("escape")
        await wait_for_screen(pilot, CreateInstanceModal, what="the form again")
        await pilot.press("escape")
        await instance_list(pilot)
        await open_drift(pilot, 1, "the instance owned elsewhere")
        await pilot.press("a")
        await wait_for_screen(pilot, ConfirmModal, what="the adopt preview")
        shown = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "Adopt 1 instance?" in shown
        assert "bot-their-bot" in shown


async def test_stop_of_an_instance_adopted_elsewhere_toasts_the_adopt_keys(env: Env) -> None:
    other = env.services.config.model_copy(update={"db": env.folder / "other" / "claworc.db"})
    async with opened(other) as theirs:
        await theirs.instances.adopt(["bot-alpha"])
    app = env.app()
    async with app.run_test(size=(160, 45), message_hook=env.hook) as pilot:
        listing = await instance_list(pilot)
        await wait_for(lambda: listing.selected_name == "bot-alpha", pilot=pilot)
        await pilot.press("x")
        await wait_for_screen(pilot, ConfirmModal, what="the stop confirmation")
        await pilot.press("y")
        await wait_for(
            lambda: any("belongs to claworc database" in t for t in env.toasts()),
            pilot=pilot,
            what="the refusal",
        )
        toast = next(t for t in env.toasts() if "belongs to claworc database" in t)
        assert ADOPT_KEYS.format(name="bot-alpha") in toast, toast
        assert "claworc-tui" not in toast


async def test_delete_of_an_instance_adopted_elsewhere_says_the_app_cannot_forget(
    env: Env,
) -> None:
    other = env.services.config.model_copy(update={"db": env.folder / "other" / "claworc.db"})
    async with opened(other) as theirs:
        await theirs.instances.adopt(["bot-alpha"])
    app = env.app()
    async with app.run_test(size=(160, 45), message_hook=env.hook) as pilot:
        await open_delete(pilot, "D")
        await pilot.press(*"bot-alpha", "enter")
        said = await failed_progress(env, await wait_for_screen(pilot, ProgressModal))
        # No key drops a record in the app: it says so, and what does.
        assert "Another claworc database owns its objects now: this record is stale." in said
        assert "The app cannot drop it; the command line's forget does" in said, said
        assert "Press D again" not in said
