"""``S`` and ``F`` on the main screen, against the real services and the emulator."""

from __future__ import annotations

import aiohttp
from pydantic import SecretStr
from textual.widgets import DataTable, TextArea

from claworc_tui.models.instance import Provider
from claworc_tui.ui.screens.events import EventsScreen
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.screens.reach import CopyMenu, ForwardsScreen
from claworc_tui.ui.screens.yaml_view import YamlScreen
from tests._support.kube import reach_of
from tests._support.wait import wait_for, wait_for_screen
from tests.ui.conftest import Env, pod_of
from tests.ui.steps import main_screen, open_screen


async def test_f_forwards_the_selected_instance_and_lists_it(env: Env) -> None:
    app = env.app()
    reach = reach_of(env.services)
    async with app.run_test(size=(160, 45), message_hook=env.hook) as pilot:
        await open_screen(pilot, ForwardsScreen, "j", "F", what="forwards")
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        chrome = reach.forwards("bot-beta")[0]
        async with aiohttp.ClientSession() as session, session.get(chrome.url) as resp:
            body = await resp.text()
        assert f"noVNC chrome of pod {pod_of(env, 'bot-beta')}" in body
        await pilot.press("escape", "colon", *"forwards", "enter")
        await wait_for_screen(pilot, ForwardsScreen, what="listed again")
        table = app.screen.query_one(DataTable)
        await wait_for(lambda: table.row_count == 2, pilot=pilot, what="both rows")
        await pilot.press("x")
        await wait_for(lambda: table.row_count == 0, pilot=pilot, what="stopped")
        assert reach.forwards() == []
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_s_and_f_on_a_stopped_instance_say_why_and_change_nothing(env: Env) -> None:
    await env.services.instances.stop("bot-alpha")
    await wait_for(
        lambda: (
            not [
                p
                for p in env.emulator.objects("pods", "claworc")
                if p["metadata"]["labels"].get("app") == "bot-alpha"
            ]
        ),
        timeout=10.0,
        what="bot-alpha's pod gone",
    )
    app = env.app()
    reach = reach_of(env.services)
    async with app.run_test(size=(80, 24), message_hook=env.hook) as pilot:
        await main_screen(pilot)
        await pilot.press("S")
        await wait_for(
            lambda: any("No shell" in t for t in env.toasts()), pilot=pilot, what="toast"
        )
        await pilot.press("F")
        await wait_for(
            lambda: any("No forward" in t for t in env.toasts()), pilot=pilot, what="toast"
        )
        assert isinstance(app.screen, MainScreen)
        assert reach.forwards() == []
    said = [t for t in env.toasts() if t.startswith(("No shell", "No forward"))]
    assert all("bot-alpha is not running: it has no pod" in t for t in said)
    assert not env.emulator.streams.execs


async def test_y_shows_the_objects_as_yaml_searchable_and_without_secret_values(env: Env) -> None:
    key = "sk-ant-api03.UIYAMLFAKE.UIYAMLFAKE-3333-dddd"
    await env.services.instances.set_global_key(Provider.ANTHROPIC, SecretStr(key))
    secret = next(
        o
        for o in env.emulator.objects("secrets", "claworc")
        if o["metadata"]["name"] == "bot-alpha-keys"
    )
    values = list((secret.get("data") or {}).values())
    assert values
    app = env.app()
    async with app.run_test(size=(80, 24), message_hook=env.hook) as pilot:
        await open_screen(pilot, YamlScreen, "y", what="yaml screen")
        area = app.screen.query_one(TextArea)
        await wait_for(lambda: "kind: Deployment" in area.text, pilot=pilot, what="yaml loaded")
        assert "name: bot-alpha-keys" in area.text
        assert not any(value in area.text for value in values)
        assert key not in area.text
        assert "<masked: " in area.text
        await pilot.press("slash", *"bot-alpha-vnc", "enter")
        assert area.selected_text.lower() == "bot-alpha-vnc"
        first = area.selection
        await pilot.press("n")
        assert area.selection != first
        await pilot.press("d")  # describe: one short block per object, then the events
        assert "Deployment bot-alpha\n  replicas 1 desired, 1 ready" in area.text
        assert "  container moltbot: running, restarts 0" in area.text
        assert "Events (" in area.text
        assert "Scheduled" in area.text
        assert not any(value in area.text for value in values)
        await pilot.press("d")
        assert "kind: Deployment" in area.text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_e_lists_the_instances_events_newest_first_and_i_widens_to_the_namespace(
    env: Env,
) -> None:
    app = env.app()
    async with app.run_test(size=(160, 45), message_hook=env.hook) as pilot:
        await open_screen(pilot, EventsScreen, "j", "E", what="events")
        table = app.screen.query_one(DataTable)
        await wait_for(lambda: table.row_count > 0, pilot=pilot, what="events loaded")
        objects = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert all("bot-beta" in o for o in objects), objects
        assert any(o.startswith("pod/bot-beta-") for o in objects)
        reasons = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert "Scheduled" in reasons
        own = table.row_count
        await pilot.press("i")
        await wait_for(lambda: table.row_count > own, pilot=pilot, what="namespace events")
        objects = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert any("bot-alpha" in o for o in objects)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_c_menu_copies_the_pod_name_and_the_palette_copies_the_kubectl_line(env: Env) -> None:
    async with env.started(size=(160, 45), message_hook=env.hook) as (_, pilot, screen):
        await pilot.press("C")
        await wait_for_screen(pilot, CopyMenu, what="copy menu")
        await pilot.press("down", "enter")
        pod = pod_of(env, "bot-alpha")
        await wait_for(
            lambda: any(
                t.startswith("pod name of bot-alpha copied") and t.endswith(f": {pod}")
                for t in env.toasts()
            ),
            pilot=pilot,
            what="pod name copied",
        )
        screen.run_for("bot-beta", "copy_item('kubectl exec')")
        beta = pod_of(env, "bot-beta")
        line = f"kubectl --context emulator -n claworc exec -it {beta} -c moltbot -- sh"
        await wait_for(
            lambda: any(t.endswith(line) for t in env.toasts()), pilot=pilot, what="kubectl"
        )


async def test_private_switch_and_c_copies_the_forwarded_url(env: Env) -> None:
    app = env.app()
    reach = reach_of(env.services)
    async with app.run_test(size=(160, 45), message_hook=env.hook) as pilot:
        await main_screen(pilot)
        await pilot.press("colon", *"private bot-alpha", "enter")
        await wait_for(
            lambda: any("bot-alpha is now private" in t for t in env.toasts()),
            pilot=pilot,
            what="private",
        )
        service = next(
            s
            for s in env.emulator.objects("services", "claworc")
            if s["metadata"]["name"] == "bot-alpha-vnc"
        )
        assert service["spec"]["type"] == "ClusterIP"
        await pilot.press("c")
        await wait_for(
            lambda: any(t.startswith("forwarded chrome URL of bot-alpha") for t in env.toasts()),
            pilot=pilot,
            what="forwarded URL copied",
        )
        url = reach.forwards("bot-alpha")[0].url
        async with aiohttp.ClientSession() as session, session.get(url) as resp:
            assert resp.status == 200
            assert "noVNC chrome of pod" in await resp.text()
        await pilot.press("j", "c")  # bot-beta is on NodePorts: its NodePort URL, as before
        await wait_for(
            lambda: any(t.startswith("Chrome URL of bot-beta copied") for t in env.toasts()),
            pilot=pilot,
            what="nodeport URL copied",
        )


async def test_no_shell_when_read_only(read_only_env: Env) -> None:
    env = read_only_env
    async with env.started(size=(80, 24), message_hook=env.hook) as (_, pilot, _):
        await pilot.press("S")
        await wait_for(
            lambda: any("cannot open a shell in bot-alpha" in t for t in env.toasts()),
            pilot=pilot,
            what="refused",
        )
    assert not env.emulator.streams.execs


async def test_shell_where_the_terminal_cannot_be_handed_over_says_so(env: Env) -> None:
    app = env.app()  # the headless driver of tests cannot suspend
    async with app.run_test(size=(80, 24), message_hook=env.hook) as pilot:
        screen = await main_screen(pilot)
        screen.run_for("bot-beta", "shell")
        await wait_for(
            lambda: any("cannot hand over to a shell" in t for t in env.toasts()),
            pilot=pilot,
            what="toast",
        )
        assert isinstance(app.screen, MainScreen)
    assert not env.emulator.streams.execs
