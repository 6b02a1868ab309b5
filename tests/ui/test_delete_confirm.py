"""Enter in the typed-delete field: the right name deletes; another says so, deletes nothing."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from claworc_tui.ui.screens.confirm import DeleteModal
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.widgets.form import FieldError
from claworc_tui.ui.widgets.instance_list import InstanceList
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env
from tests.ui.test_typeahead import burst


async def open_delete(pilot: Pilot[Any], *keys: str) -> tuple[DeleteModal, FieldError]:
    """Press ``keys`` (the last one ``D``) on the listed instances: the modal and its error."""
    listing = pilot.app.screen.query_one(InstanceList)
    await wait_for(lambda: listing.row_count == 3, pilot=pilot)
    await pilot.press(*keys)
    modal = await wait_for_screen(pilot, DeleteModal, what="delete modal")
    assert isinstance(modal, DeleteModal)
    return modal, modal.query_one("#confirm-name-error", FieldError)


async def test_enter_with_another_name_says_so_and_deletes_nothing(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        modal, error = await open_delete(pilot, "j", "D")
        assert not error.display
        await pilot.press(*"bot-alpha", "enter")  # another instance's name
        assert app.screen is modal
        assert error.display
        said = str(error.render())
        assert "“bot-alpha” is not bot-beta; nothing was deleted" in said
        await pilot.press("backspace")  # what was said was for the name as it was
        assert not error.display
        assert await env.names() == ["bot-alpha", "bot-beta", "bot-gamma"]


async def test_enter_with_the_field_empty_says_what_to_type(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        modal, error = await open_delete(pilot, "D")
        await pilot.press("enter")  # on Cancel: leads to the field
        await pilot.press("enter")  # in the empty field
        assert app.screen is modal
        assert error.display
        assert "Type bot-alpha exactly" in str(error.render())
        await pilot.press("escape")
        await wait_for_screen(pilot, MainScreen)
        assert await env.names() == ["bot-alpha", "bot-beta", "bot-gamma"]


async def test_enter_typed_right_after_the_name_submits(env: Env) -> None:
    # Typed fast (or over SSH, or pasted), the name and Enter arrive together: the Enter came
    # while the focus was still on Cancel (moving it waits for the next idle) and was taken as
    # "Enter on Cancel leads to the field", so it did nothing; a second Enter was needed.
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        modal, error = await open_delete(pilot, "j", "D")
        burst(app, "bot-x\r")
        await wait_for(lambda: error.display, pilot=pilot, what="the wrong name said")
        assert "“bot-x” is not bot-beta" in str(error.render())
        modal.query_one("#confirm-name", Input).value = ""
        await pilot.pause()
        burst(app, "bot-beta\r")
        await wait_for_screen(pilot, MainScreen, timeout=10)
        listing = app.screen.query_one(InstanceList)
        await wait_for(lambda: "bot-beta" not in listing.views, pilot=pilot, what="row removed")
        assert await env.names() == ["bot-alpha", "bot-gamma"]
