"""Fast typing (or a paste) over SSH: keys arrive before the screen has caught up.

``pilot.press`` waits for each key to be handled, so these tests post the key events all at
once, the way a burst from the terminal arrives.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Input

from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.create import CreateInstanceModal
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env

_NAMES = {"/": "slash", "\r": "enter", "&": "ampersand", " ": "space", "#": "number_sign"}


def burst(app: Any, text: str) -> None:
    """Post every key of ``text`` without waiting in between."""
    for char in text:
        app.post_message(events.Key(_NAMES.get(char, char), char))


async def test_keys_after_slash_and_n_land_in_the_field_they_open(env: Env) -> None:
    async with env.started(size=(100, 30)) as (app, pilot, screen):
        burst(app, "/bet\r")
        await wait_for(lambda: screen.instance_list.filter_text == "bet", pilot=pilot)
        await wait_for(lambda: screen.instance_list.has_focus, pilot=pilot)
        burst(app, "nMy Bot 7")
        await wait_for_screen(pilot, CreateInstanceModal)
        name = app.screen.query_one("#display_name", Input)
        await wait_for(
            lambda: name.value == "My Bot 7", pilot=pilot, what=f"name, got {name.value!r}"
        )


async def test_keys_after_slash_in_the_log_pane_search(env: Env) -> None:
    async with env.started(size=(100, 30)) as (app, pilot, screen):
        await pilot.press("l")
        await wait_for(lambda: len(screen.log_pane.buffered) >= 3, pilot=pilot)
        burst(app, "/ready\r")
        await wait_for(lambda: screen.log_pane.view.count_matches() == 1, pilot=pilot)
        # The enter closed the field and gave the focus back to the log: every key of the
        # burst was handled (one still queued when the test ends hits a closed app).
        await wait_for(lambda: screen.log_pane.view.has_focus, pilot=pilot)


async def test_a_typed_ahead_y_does_not_confirm(env: Env) -> None:
    async with env.started(size=(100, 30)) as (app, pilot, _):
        burst(app, "xy")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmModal)  # still asking
        await pilot.press("n")
        views = {v.name: v for v in await env.services.instances.list_views()}
        assert views["bot-alpha"].instance.status == "running"


async def test_a_y_typed_before_the_question_and_still_on_its_way_does_not_confirm(
    env: Env,
) -> None:
    """The race of the burst above, made certain: the "y" was handed to the list before the
    question covered it, and bubbles back to the app once the question is up."""
    async with env.started(size=(100, 30)) as (app, pilot, screen):
        typed = events.Key("y", "y")  # typed now, before the question exists
        burst(app, "x")
        await wait_for_screen(pilot, ConfirmModal)
        typed._set_forwarded()  # as the app forwards a key to the focused widget
        screen.instance_list.post_message(typed)
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmModal)  # still asking
        await pilot.press("y")  # a y typed now is an answer
        await wait_for(lambda: not isinstance(app.screen, ConfirmModal), pilot=pilot)

        async def alpha_stopped() -> bool:
            views = {v.name: v for v in await env.services.instances.list_views()}
            return views["bot-alpha"].instance.status == "stopped"

        await wait_for(alpha_stopped, pilot=pilot, timeout=15, what="bot-alpha stopped")


async def test_a_backspace_in_a_burst_deletes_what_was_typed_before_it(env: Env) -> None:
    """``abcx⌫d`` typed in one burst is ``abcd``: the backspace is not applied after the keys
    that followed it (Textual's Input runs it through a binding, looked up after they landed)."""
    async with env.started(size=(100, 30)) as (app, pilot, screen):
        burst(app, "/abcx")
        app.post_message(events.Key("backspace", "\x7f"))
        burst(app, "d\r")
        field = screen.query_one("#filter", Input)
        await wait_for(lambda: not field.has_focus and field.value, pilot=pilot, what="submitted")
        assert (field.value, screen.instance_list.filter_text) == ("abcd", "abcd")
