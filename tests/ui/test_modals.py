"""Create, delete, edit config, settings, help and the command palette, from the keyboard."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Button, Input, TextArea

from claworc_tui.ui.screens.confirm import ConfirmModal, DeleteModal
from claworc_tui.ui.screens.create import CreateInstanceModal
from claworc_tui.ui.screens.edit_config import EditConfigModal
from claworc_tui.ui.screens.help import HelpModal
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.widgets.instance_list import InstanceList
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env
from tests.ui.steps import (
    error_text,
    instance_list,
    open_create_form,
    open_logs,
    open_screen,
    open_settings,
)


async def test_create_with_a_bad_name_shows_the_error_inline_and_sends_nothing(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        modal = await open_create_form(pilot)
        await pilot.press("#", "!", "ctrl+s")
        await wait_for(
            lambda: "no letters or digits" in error_text(modal, "display_name"), pilot=pilot
        )
        # A taken name is refused too, before anything is sent.
        modal.query_one("#display_name", Input).value = "Alpha"
        await wait_for(lambda: "already exists" in error_text(modal, "display_name"), pilot=pilot)
        # Bad quantities and bad JSON are reported at their fields.
        modal.query_one("#display_name", Input).value = "Delta"
        modal.query_one("#cpu_request", Input).value = "lots"
        modal.query_one("#clawdbot_config", TextArea).text = '{"a": 1,}'
        await pilot.press("ctrl+s")
        await wait_for(
            lambda: "not a Kubernetes quantity" in error_text(modal, "resources"), pilot=pilot
        )
        assert "line 1 column" in error_text(modal, "clawdbot_config")
        assert error_text(modal, "display_name") == ""
        assert isinstance(app.screen, CreateInstanceModal)
        await pilot.press("escape")
        assert await env.names() == ["bot-alpha", "bot-beta", "bot-gamma"]


async def test_create_shows_the_preview_then_each_step(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_create_form(pilot)
        await pilot.press(*"My Test Bot #3")
        hint = app.screen.query_one("#name-preview")
        await wait_for(
            lambda: "30106" in str(hint.render()), pilot=pilot, what="preview with ports"
        )
        assert "bot-my-test-bot-3" in str(hint.render())
        app.screen.query_one("#memory_limit", Input).value = "8Gi"
        await pilot.press("ctrl+s")
        # The progress closes by itself on success (tests/ui/test_first_hour.py).
        await wait_for_screen(pilot, MainScreen, timeout=10, what="created")
        listing = app.screen.query_one(InstanceList)
        await wait_for(lambda: "bot-my-test-bot-3" in listing.views, pilot=pilot)
        assert listing.views["bot-my-test-bot-3"].instance.resources.memory_limit == "8Gi"


async def test_delete_needs_the_typed_name(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await instance_list(pilot)
        await pilot.press("j", "D")
        modal = await wait_for_screen(pilot, DeleteModal, what="delete modal")
        assert modal.focused is not None
        assert modal.focused.id == "cancel"
        plan = str(modal.query_one(".dialog-body Static").render())
        for suffix in ("-clawdbot", "-homebrew", "-clawd", "-chrome", "-keys", "-config", "-vnc"):
            assert f"bot-beta{suffix}" in plan
        delete = modal.query_one("#confirm", Button)
        await pilot.press(*"bot-bet")  # typing goes to the field even though Cancel has focus
        assert delete.disabled
        await pilot.press("enter")  # not the name yet: nothing happens
        assert isinstance(app.screen, DeleteModal)
        await pilot.press("a")
        assert modal.query_one("#confirm-name", Input).value == "bot-beta"
        assert not delete.disabled
        await pilot.press("enter")
        await wait_for_screen(pilot, MainScreen, timeout=10)
        await wait_for(lambda: "bot-beta" not in listing.views, pilot=pilot, what="row removed")
        assert await env.names() == ["bot-alpha", "bot-gamma"]


async def test_delete_cancelled_keeps_everything(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, DeleteModal, "D")
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert await env.names() == ["bot-alpha", "bot-beta", "bot-gamma"]


async def test_edit_config_validates_diffs_confirms_and_saves(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_screen(pilot, EditConfigModal, "e")
        editor = modal.query_one("#config-text", TextArea)
        editor.text = '{\n  "model": "claude",\n  "x": [1, 2,]\n}'
        await pilot.pause()
        status = str(modal.query_one("#config-status").render())
        assert "line 3 column" in status
        assert modal.query_one("#save", Button).disabled
        editor.text = '{\n  "model": "claude"\n}'
        await pilot.pause()
        assert not modal.query_one("#save", Button).disabled
        await pilot.press("ctrl+d")
        diff = str(modal.query_one("#config-diff-text").render())
        assert '+  "model": "claude"' in diff
        await pilot.press("ctrl+s")
        # Query the dialog only once it is mounted: under load the pushed screen is app.screen
        # before its body exists (this test used to fail with NoMatches then).
        confirm = await wait_for_screen(pilot, ConfirmModal, showing=".dialog-body Static")
        assert "restarts the pod" in str(confirm.query_one(".dialog-body Static").render())
        await pilot.press("y")
        await wait_for_screen(pilot, MainScreen, what="saved")

        async def saved() -> bool:
            views = {v.name: v for v in await env.services.instances.list_views()}
            return views["bot-alpha"].instance.clawdbot_config == '{\n  "model": "claude"\n}'

        await wait_for(saved, pilot=pilot, what="config saved")


async def test_settings_inline_error_and_masked_key(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(120, 40), message_hook=env.hook) as pilot:
        screen = await open_settings(pilot)
        screen.query_one("#port_range_start", Input).value = "30101"
        await pilot.press("ctrl+s")
        await wait_for(lambda: error_text(screen, "port_range_start") != "", pilot=pilot)
        assert "30101" in error_text(screen, "port_range_start")
        screen.query_one("#port_range_start", Input).value = "30100"
        screen.query_one("#node_host", Input).value = "bots.example.com"
        await pilot.press("ctrl+s")

        async def node_host_saved() -> bool:
            return (await env.services.instances.get_settings()).node_host == "bots.example.com"

        await wait_for(node_host_saved, pilot=pilot, what="node host saved")
        key = "sk-ant-api03.abcdefghijklm.nopqrstuvwxyz-9f2c"
        field = screen.query_one("#anthropic_api_key-input", Input)
        assert field.password
        field.value = key
        screen.query_one("#anthropic_api_key-set", Button).press()
        confirm = await wait_for_screen(pilot, ConfirmModal, showing=".dialog-body Static")
        body = str(confirm.query_one(".dialog-body Static").render())
        assert "bot-alpha" in body
        assert "bot-gamma" in body
        await pilot.press("n")
        masked = screen.query_one("#anthropic_api_key-masked")
        await wait_for(lambda: "9f2c" in str(masked.render()), pilot=pilot)
        assert key not in str(masked.render())
        assert field.value == ""
        # The key is nowhere on screen and in no toast.
        assert key not in app.export_screenshot()
        assert all(key not in toast for toast in env.toasts())
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_help_is_generated_from_the_bindings(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await wait_for_screen(pilot, HelpModal)
        text = "\n".join(str(s.render()) for s in app.screen.query(".help-section"))
        for expected in ("New", "Delete", "Copy Chrome URL", "Filter", "Search", "Mark", "Quit"):
            assert expected in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_palette_runs_an_instance_command(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await instance_list(pilot)
        await pilot.press("space")  # a mark must not widen "restart bot-beta"
        await pilot.press("ctrl+p")
        await wait_for_screen(pilot, CommandPalette)
        await pilot.press(*"restart bot-beta")
        await pilot.pause(0.3)
        await pilot.press("enter")
        confirm = await wait_for_screen(pilot, ConfirmModal, showing=".dialog-title")
        assert "Restart bot-beta?" in str(confirm.query_one(".dialog-title").render())
        await pilot.press("n")


async def test_log_save_writes_a_file(env: Env, tmp_path: Path) -> None:
    app = env.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_logs(pilot)
        await pilot.press("ctrl+s")
        await wait_for(lambda: not isinstance(app.screen, MainScreen), pilot=pilot)
        target = tmp_path / "saved.log"
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_for(target.exists, pilot=pilot, what="file written")
        assert "moltbot is ready" in target.read_text()
