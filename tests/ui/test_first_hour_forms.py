"""Issue 12, "the first hour", the forms: the config editor, the create form and Settings —
errors in the labels' words, 80x24, keys typed right after tab.

Real app, real services (SQLite file + the emulator over HTTP); keys are pressed, not called.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static, TextArea

from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.edit_config import EditConfigModal
from claworc_tui.ui.screens.main import MainScreen
from tests._support.wait import wait_for, wait_for_screen, wait_for_widget
from tests.ui.conftest import Env, pod_of
from tests.ui.steps import (
    error_text,
    instance_list,
    open_create_form,
    open_screen,
    open_settings,
)


async def test_edit_config_of_a_stopped_instance_does_not_promise_a_restart(env: Env) -> None:
    await env.services.instances.stop("bot-gamma")
    app = env.app()
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await instance_list(pilot)
        await wait_for(
            lambda: listing.views["bot-gamma"].status == "Stopped", pilot=pilot, timeout=10
        )
        listing.select("bot-gamma")
        await pilot.press("e")
        editor = await wait_for_screen(pilot, EditConfigModal)
        editor.query_one("#config-text", TextArea).text = '{"model": "x"}'
        status = editor.query_one("#config-status", Static)
        await wait_for(lambda: "valid JSON" in str(status.render()), pilot=pilot)
        assert "restart" not in str(status.render())
        assert not editor.query("#save-only")
        assert str(editor.query_one("#save", Button).label) == "Save (ctrl+s)"
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, ConfirmModal)
        body = str((await wait_for_widget(pilot, ".dialog-body Static", Static)).render())
        assert "restarts the pod" not in body
        assert "is stopped" in body
        await pilot.press("y")
        await wait_for_screen(pilot, MainScreen)
        instance = await env.services.instances.get("bot-gamma")
        assert instance.clawdbot_config == '{"model": "x"}'


async def test_edit_config_of_a_running_instance_can_save_without_restart(env: Env) -> None:
    pod = pod_of(env, "bot-alpha")
    app = env.app()
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_screen(pilot, EditConfigModal, "e")
        editor.query_one("#config-text", TextArea).text = '{"model": "y"}'
        save_only = editor.query_one("#save-only", Button)
        await wait_for(lambda: not save_only.disabled, pilot=pilot)
        save_only.press()
        await wait_for_screen(pilot, ConfirmModal)
        body = str((await wait_for_widget(pilot, ".dialog-body Static", Static)).render())
        assert "keeps the old file" in body
        await pilot.press("y")
        await wait_for_screen(pilot, MainScreen)
        instance = await env.services.instances.get("bot-alpha")
        assert instance.clawdbot_config == '{"model": "y"}'
        assert pod_of(env, "bot-alpha") == pod, "the pod was not replaced"


async def test_create_errors_use_the_labels_and_clear_on_edit(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_create_form(pilot)
        await pilot.press(*"Delta")
        form.query_one("#cpu_limit", Input).value = "xyts"
        await pilot.press("ctrl+s")
        await wait_for(lambda: error_text(form, "resources") != "", pilot=pilot)
        assert error_text(form, "resources") == 'CPU limit "xyts" is not a Kubernetes quantity'
        form.query_one("#cpu_limit", Input).focus()
        await pilot.press("backspace")
        await wait_for(lambda: error_text(form, "resources") == "", pilot=pilot, what="cleared")
        form.query_one("#cpu_limit", Input).value = "2"
        form.query_one("#memory_request", Input).value = "8Gi"
        form.query_one("#memory_limit", Input).value = "4Gi"
        await pilot.press("ctrl+s")
        await wait_for(lambda: error_text(form, "resources") != "", pilot=pilot)
        assert error_text(form, "resources") == (
            'Memory request "8Gi" is more than Memory limit "4Gi"'
        )


async def test_settings_errors_use_the_labels_and_clear_on_edit(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(100, 45)) as pilot:
        screen = await open_settings(pilot)
        start = screen.query_one("#port_range_start", Input)
        assert start.value != ""
        start.value = "30101"
        await pilot.press("ctrl+s")
        await wait_for(lambda: error_text(screen, "port_range_start") != "", pilot=pilot)
        message = error_text(screen, "port_range_start")
        assert "NodePort range start 30101 must be even" in message, message
        assert "port_range_start" not in message
        start.focus()
        await pilot.press("backspace")
        await wait_for(lambda: error_text(screen, "port_range_start") == "", pilot=pilot)


async def test_create_form_keeps_its_first_label_at_80x24(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_create_form(pilot)
        name = form.query_one("#display_name", Input)
        await wait_for(lambda: app.focused is name and name.region.height > 0, pilot=pilot)
        await pilot.pause(0.2)
        label = form.query_one("#create-dialog .dialog-body Label")
        assert str(label.render()) == "Display name"
        body = form.query_one("#create-dialog .dialog-body")
        assert body.scroll_y == 0
        assert body.region.contains_region(label.region), (body.region, label.region)


async def type_1_tab_8gi(pilot: Pilot[Any], request: Input, limit: Input) -> tuple[str, str]:
    """Empty both fields, then type "1", tab, "8Gi" as a terminal delivers keys: queued one
    after the other, no waiting in between. Returns what each field got."""
    request.value = limit.value = ""
    request.focus()
    await pilot.pause()
    for key, character in (("1", "1"), ("tab", None), ("8", "8"), ("G", "G"), ("i", "i")):
        pilot.app.post_message(events.Key(key, character))
    await wait_for(lambda: len(request.value + limit.value) == 4, pilot=pilot, what="all typed")
    return request.value, limit.value


async def test_keys_typed_right_after_tab_in_settings_go_to_the_next_field(env: Env) -> None:
    # With keys 80 ms apart, memory request became "18" and memory limit "Gi": the tab was
    # resolved (a non-priority binding, after the field had seen it) after the "8" had already
    # been handed to the field being left.
    app = env.app()
    async with app.run_test(size=(100, 45)) as pilot:
        screen = await open_settings(pilot)
        request = screen.query_one("#default_memory_request", Input)
        limit = screen.query_one("#default_memory_limit", Input)
        assert limit.value != ""
        assert await type_1_tab_8gi(pilot, request, limit) == ("1", "8Gi")


async def test_keys_typed_right_after_tab_in_the_create_form_go_to_the_next_field(
    env: Env,
) -> None:
    app = env.app()
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_create_form(pilot)
        request = form.query_one("#memory_request", Input)
        limit = form.query_one("#memory_limit", Input)
        await wait_for(lambda: limit.value != "", pilot=pilot, what="defaults loaded")
        await pilot.pause(0.3)
        assert await type_1_tab_8gi(pilot, request, limit) == ("1", "8Gi")
        # In the clawdbot.json editor, tab still indents.
        editor = form.query_one("#clawdbot_config", TextArea)
        editor.focus()
        await pilot.press("tab")
        assert app.focused is editor
        assert editor.text != ""
        assert editor.text.strip() == ""
