"""``:`` command mode: completion, :ns switching the list, refusals that change nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from textual.widgets import Input

from claworc_emulator.resources import BY_PLURAL
from claworc_tui.ui.screens.command_line import CommandLine, complete
from claworc_tui.ui.screens.events import EventsScreen
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.screens.settings import SettingsScreen
from claworc_tui.ui.widgets.instance_list import InstanceList
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env
from tests.ui.steps import error_text, main_screen, open_screen


def test_completion_offers_words_then_arguments() -> None:
    args: dict[str, Sequence[str]] = {
        "namespace": ["claworc", "default", "other"],
        "instance": ["bot-alpha", "bot-beta"],
    }
    assert complete("eve", args) == "events"
    assert complete("ns d", args) == "ns default"
    assert complete("ns o", args) == "ns other"
    assert complete("restart bot-b", args) == "restart bot-beta"
    assert complete("ns other", args) is None
    assert complete("zzz", args) is None


async def test_ns_switches_the_list_to_another_namespace(env: Env) -> None:
    env.emulator.api.create(BY_PLURAL["namespaces"], "", {"metadata": {"name": "other"}})
    app = env.app()
    try:
        async with app.run_test(size=(160, 45), message_hook=env.hook) as pilot:
            screen = await main_screen(pilot)
            await pilot.press("colon", *"ns oth", "tab")
            line = screen.query_one(CommandLine)
            await wait_for(lambda: line.value == "ns other", pilot=pilot, what="completed")
            await pilot.press("enter")
            await wait_for(
                # ... and composed: a screen just pushed has no list yet (NoMatches under load)
                lambda: (
                    isinstance(app.screen, MainScreen)
                    and app.screen is not screen
                    and bool(app.screen.query(InstanceList))
                ),
                pilot=pilot,
                what="new main screen",
            )
            new = await main_screen(pilot)
            assert new.ctx.namespace == "other"
            assert app.services.namespace == "other"
            # The records stay; their pods are looked for in "other", where there are none.
            await wait_for(
                lambda: "Running" not in new.instance_list.cell_text("bot-alpha", "status"),
                pilot=pilot,
                what="bot-alpha not running in other",
            )
    finally:
        if app.services is not env.services:
            await app.services.aclose()


async def test_ns_to_a_missing_or_forbidden_namespace_says_why_and_changes_nothing(
    env: Env,
) -> None:
    env.emulator.forbid("list", "pods", "kube-system")
    async with env.started(size=(80, 24), message_hook=env.hook) as (app, pilot, screen):
        await pilot.press("colon", *"ns nope", "enter")
        await wait_for(
            lambda: any("namespace nope does not exist" in t for t in env.toasts()), pilot=pilot
        )
        await pilot.press("colon", *"ns kube-system", "enter")
        await wait_for(
            lambda: any("namespace kube-system is forbidden" in t for t in env.toasts()),
            pilot=pilot,
        )
        await pilot.press("colon", *"ctx elsewhere", "enter")
        await wait_for(
            lambda: any("context elsewhere is not in" in t for t in env.toasts()), pilot=pilot
        )
        await pilot.press("colon", *"frobnicate", "enter")
        await wait_for(
            lambda: any("unknown command :frobnicate" in t for t in env.toasts()), pilot=pilot
        )
        assert app.screen is screen
        assert app.services is env.services
        assert app.services.namespace == "claworc"


async def test_colon_events_and_q(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(80, 24), message_hook=env.hook) as pilot:
        events_screen = await open_screen(
            pilot, EventsScreen, "colon", *"events", "enter", what="events"
        )
        assert isinstance(events_screen, EventsScreen)
        assert events_screen.instance is None
        await pilot.press("escape")
        await pilot.press("colon", *"events bot-beta", "enter")
        await wait_for_screen(pilot, EventsScreen, what="events of")
        assert getattr(app.screen, "instance", None) == "bot-beta"
        await pilot.press("escape")
        await pilot.press("colon", "q", "enter")
        await wait_for(lambda: not app.is_running, pilot=pilot, what="quit")


async def test_ctx_switches_to_another_kubeconfig_context(env: Env) -> None:
    path = env.services.config.kubeconfig
    assert path is not None
    doc = json.loads(Path(path).read_text())
    doc["contexts"].append({"name": "second", "context": dict(doc["contexts"][0]["context"])})
    Path(path).write_text(json.dumps(doc))
    app = env.app()
    try:
        async with app.run_test(size=(80, 24), message_hook=env.hook) as pilot:
            screen = await main_screen(pilot)
            await pilot.press("colon", *"ctx sec", "tab", "enter")
            await wait_for(
                lambda: app.screen is not screen and bool(app.screen.query(InstanceList)),
                pilot=pilot,
                what="the main screen on the new context",
            )
            assert app.services.context_name == "second"
            assert app.services.namespace == "claworc"
            new = await main_screen(pilot)
            assert new.ctx.context_name == "second"
    finally:
        if app.services is not env.services:
            await app.services.aclose()


async def test_settings_screen_sets_the_default_exposure_and_refuses_a_bad_one(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(120, 40), message_hook=env.hook) as pilot:
        await pilot.press("colon", *"settings", "enter")
        screen = await wait_for_screen(pilot, SettingsScreen, what="settings")
        field = screen.query_one("#default_exposure", Input)
        await wait_for(lambda: field.value == "nodeport", pilot=pilot, what="settings loaded")
        field.value = "public"
        await pilot.press("ctrl+s")
        await wait_for(
            lambda: error_text(screen, "default_exposure") != "", pilot=pilot, what="error"
        )
        assert (await env.services.instances.get_settings()).default_exposure.value == "nodeport"
        field.value = "private"
        await pilot.press("ctrl+s")

        async def saved() -> bool:
            return (await env.services.instances.get_settings()).default_exposure.value == "private"

        await wait_for(saved, pilot=pilot, what="private saved")
