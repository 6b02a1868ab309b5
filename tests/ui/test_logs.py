"""The log pane: follow, pause on scroll up with a count of new lines, End resumes, search,
filter, wrap, and the copy keys (OSC 52 over SSH)."""

from __future__ import annotations

import base64
import re
from typing import Any

from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Static

from claworc_tui.services.views import LogStreamState
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.widgets.log_pane import DRAW_BUDGET, LogPane
from tests._support.wait import wait_for
from tests.ui.conftest import Env, RecordingDriver, pod_of
from tests.ui.steps import main_screen


async def logged(env: Env, pilot: Pilot[Any], pane: LogPane, count: int, template: str) -> None:
    """bot-alpha's pod writes ``count`` lines of ``template`` ("{i}": the line's number) at once;
    wait until the pane shows the last one."""
    pod = pod_of(env, "bot-alpha")
    await env.emulator.generate_logs("claworc", pod, rate=None, count=count, template=template)
    last = template.format(i=count - 1)
    await wait_for(lambda: last in pane.view.lines, pilot=pilot, what=f"{count}× {template}")


async def test_follow_pause_shows_new_lines_and_end_resumes(env: Env) -> None:
    async with env.logs() as (pilot, _, pane):
        assert pane.state == LogStreamState.LIVE
        assert pane.view.has_focus
        pod = pod_of(env, "bot-alpha")
        await env.emulator.generate_logs("claworc", pod, rate=None, count=300)
        before = len(pane.buffered)
        await wait_for(lambda: len(pane.buffered) >= before + 300, pilot=pilot, what="300 lines")
        await pilot.pause(0.2)  # nothing else in flight before scrolling up
        assert pane.view.at_end  # following: the newest line is in view
        assert pane.unseen == 0
        await pilot.press("home")  # scrolling up pauses
        assert not pane.view.at_end
        await env.emulator.generate_logs("claworc", pod, rate=None, count=25, template="late {i}")
        await wait_for(lambda: pane.unseen >= 25, pilot=pilot, what="25 unseen lines")
        assert pane.unseen == 25
        assert pane.view.scroll_y == 0  # still where the reader left it
        status = str(pane.query_one("#log-status").render())
        assert "25 new lines" in status
        await pilot.press("end")
        await wait_for(lambda: pane.unseen == 0 and pane.view.at_end, pilot=pilot, what="resumed")


async def test_batches_are_flushed_not_one_message_per_line(env: Env) -> None:
    async with env.logs(message_hook=env.hook) as (pilot, _, pane):
        before = len(env.messages)
        pod = pod_of(env, "bot-alpha")
        await env.emulator.generate_logs("claworc", pod, rate=None, count=2000)
        await wait_for(lambda: pane.view.line_count >= 2000, pilot=pilot, what="2000 lines")
        # Far fewer messages than lines reached the app (no per-line messages).
        assert len(env.messages) - before < 400


async def test_search_highlights_and_filter_hides(env: Env) -> None:
    async with env.logs() as (pilot, _, pane):
        pod = pod_of(env, "bot-alpha")
        await env.emulator.generate_logs("claworc", pod, rate=None, count=50, template="tick {i}")
        await wait_for(lambda: pane.view.line_count >= 52, pilot=pilot)
        await pilot.press("slash", *"tick 4", "enter")
        assert pane.view.count_matches() == 11  # tick 4, tick 40..49
        status = str(pane.query_one("#log-status").render())
        assert "search tick 4 (11)" in status
        await pilot.press("ampersand", *"READY", "enter")
        assert pane.view.lines == ["moltbot is ready"]
        await pilot.press("ampersand", "enter")  # an empty pattern clears the filter
        assert pane.view.line_count >= 52
        await pilot.press("w")
        assert pane.view.wrap
        await pilot.press("escape")
        assert screen_list_focused(pilot)


def screen_list_focused(pilot: Pilot[Any]) -> bool:
    """The instance list has the focus again."""
    screen = pilot.app.screen
    return isinstance(screen, MainScreen) and screen.instance_list.has_focus


async def test_selecting_another_instance_switches_the_follow(env: Env) -> None:
    async with env.logs() as (pilot, screen, pane):
        env.emulator.append_log("claworc", pod_of(env, "bot-beta"), ["only beta says this"])
        screen.instance_list.focus()
        await pilot.press("j")
        await wait_for(lambda: pane.instance == "bot-beta", pilot=pilot, what="follow switched")
        await wait_for(lambda: "only beta says this" in pane.view.lines, pilot=pilot)
        assert len([w for w in pane.workers if w.group == "log-follow" and w.is_running]) == 1


async def test_copy_over_ssh_writes_osc52(env: Env) -> None:
    app = env.app(
        environ={"SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22"}, driver_class=RecordingDriver
    )
    async with app.run_test(
        size=(120, 40), headless=False, message_hook=env.hook, notifications=True
    ) as pilot:
        await main_screen(pilot)
        driver = app._driver
        assert isinstance(driver, RecordingDriver)
        await pilot.press("t")
        url = "http://203.0.113.10:30101/vnc.html?autoconnect=true"
        await wait_for(lambda: any(url in t for t in env.toasts()), pilot=pilot, what="toast")
        sequence = f"\x1b]52;c;{base64.b64encode(url.encode()).decode()}\a"
        assert sequence in "".join(driver.written)
        await pilot.press("c")
        chrome = "http://203.0.113.10:30100/vnc.html?autoconnect=true"
        await wait_for(lambda: any(chrome in t for t in env.toasts()), pilot=pilot)
        assert f"\x1b]52;c;{base64.b64encode(chrome.encode()).decode()}\a" in "".join(
            driver.written
        )


async def test_stream_end_is_said_and_a_new_pod_resumes_it(env: Env) -> None:
    async with env.logs() as (pilot, screen, pane):
        await env.services.instances.stop("bot-alpha")
        await wait_for(
            lambda: pane.state in (LogStreamState.ENDED, LogStreamState.WAITING),
            pilot=pilot,
            timeout=10,
            what="the stream to end",
        )
        status = str(pane.query_one("#log-status").render())
        assert "ended" in status or "waiting" in status
        await env.services.instances.start("bot-alpha")
        await wait_for(
            lambda: (
                pane.state == LogStreamState.LIVE
                and any(line.startswith("── live again") for line in pane.view.lines)
            ),
            pilot=pilot,
            timeout=10,
            what="the follow to resume on the new pod",
        )
        assert screen.log_pane is pane
        await wait_for(lambda: "moltbot is ready" in pane.view.lines[-3:], pilot=pilot, timeout=10)
        again = [i for i, line in enumerate(pane.view.lines) if line.startswith("── live again")]
        assert len(again) == 1, pane.view.lines[-8:]  # one marker per break, however it went


async def test_clear_timestamps_and_presets(env: Env) -> None:
    async with env.logs() as (pilot, _, pane):
        await pilot.press("t")
        assert all(line[:4].isdigit() for line in pane.view.lines)  # 2025-…Z prefix
        await pilot.press("ctrl+k")
        assert pane.view.lines == []
        await pilot.press("left_square_bracket")
        assert pane.options.tail_lines == 2000
        await pilot.press("right_square_bracket")
        assert pane.options.since_seconds == 300
        status = str(pane.query_one("#log-status").render())
        assert "tail 2000" in status
        assert "since 5m" in status


async def test_resizing_the_terminal_keeps_following(env: Env) -> None:
    """Issue 10: a smaller terminal left the view above the new end, and the pane paused."""
    async with env.logs() as (pilot, _, pane):
        await logged(env, pilot, pane, 200, "a {i}")
        for size in ((100, 20), (60, 12), (140, 45), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause(0.1)
            await logged(env, pilot, pane, 30, f"after {size[0]}x{size[1]}")
            await pilot.pause(0.1)
            assert pane.unseen == 0, size
            assert pane.view.at_end, size


async def test_a_flood_bigger_than_the_draw_budget_drops_old_lines_and_says_how_many(
    env: Env,
) -> None:
    """Issue 17: drawing one batch is bounded in time; what does not fit is dropped, counted."""
    async with env.logs() as (pilot, _, pane):
        pane._line_cost = DRAW_BUDGET / 100  # a machine this slow draws 2 000 lines (the floor)
        await logged(env, pilot, pane, 8000, "f {i}")
        shown = [line.text for line in pane.buffered if line.text.startswith("f ")]
        notes = [line.text for line in pane.buffered if "lines dropped" in line.text]
        dropped = sum(int(note.split()[1]) for note in notes)
        assert notes, "nothing was dropped: the batch was drawn whole"
        assert len(shown) + dropped == 8000
        numbers = [int(text.split()[1]) for text in shown]
        assert numbers == sorted(set(numbers))  # newest kept, in order, none twice


async def test_a_restart_is_one_break_in_the_follow(env: Env) -> None:
    """A rollout restart brings a new pod: the follow goes on there, with one marker."""
    async with env.logs() as (pilot, _, pane):
        await env.services.instances.restart("bot-alpha")
        await wait_for(
            lambda: (
                "moltbot is ready" in pane.view.lines[-3:]
                and any(line.startswith("── live again") for line in pane.view.lines)
            ),
            pilot=pilot,
            timeout=10,
            what="the new pod's start-up lines",
        )
        await pilot.pause(0.5)
        lines = pane.view.lines
        again = [line for line in lines if line.startswith("── live again")]
        assert len(again) == 1, lines[-10:]
        assert lines.count("moltbot is ready") == 2  # the old pod's, then the new one's
        assert pane.state == LogStreamState.LIVE


async def test_a_filter_set_while_paused_follows_again(env: Env) -> None:
    """Setting a filter shows the end of the filtered lines; new matches keep coming into view."""
    async with env.logs() as (pilot, _, pane):
        await logged(env, pilot, pane, 200, "a {i}")
        await pilot.press("g")  # to the top: paused
        await pilot.press("ampersand", *"match", "enter")
        await logged(env, pilot, pane, 80, "match {i}")
        await pilot.pause(0.1)
        assert pane.view.at_end
        assert pane.unseen == 0


async def test_a_huge_line_is_shown_cut_with_its_marker(env: Env) -> None:
    """Issue 10: a 16 MB line reached the view whole (and cost seconds to split)."""
    async with env.logs() as (pilot, _, pane):
        pod = pod_of(env, "bot-alpha")
        env.emulator.append_log("claworc", pod, ["y" * (16 * 1024 * 1024), "after the huge line"])
        await wait_for(lambda: "after the huge line" in pane.view.lines, pilot=pilot, timeout=10)
        huge = pane.view.lines[-2]
        assert huge.startswith("y" * 1000)
        assert huge.endswith(" bytes cut")
        assert len(huge) < 65 * 1024
        await pilot.press("w")  # wrapped, it is ~550 rows at 120 columns: still drawn
        await pilot.pause(0.2)
        assert pane.view.row_count > 500
        assert pane.view.at_end


async def test_a_pod_without_lines_shows_its_events_as_the_detail_does(env: Env) -> None:
    """Before its first line the pane lists the pod's events: the reason in its tone, ×count."""
    env.emulator.image_pull_backoff("claworc", "bot-alpha")
    await env.services.instances.restart("bot-alpha")  # its new pod never pulls: no lines
    app = env.app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await main_screen(pilot)
        await pilot.press("l")
        pane = screen.log_pane
        events = pane.query_one("#log-events", Static)

        def counted() -> Content | None:
            content = events.render()
            if isinstance(content, Content) and re.search(r" Failed ×\d+ ", content.plain):
                return content
            return None

        content = await wait_for(counted, pilot=pilot, timeout=10, what="a repeated pull failure")
        assert content.plain.startswith("No log lines yet. Pod events:")
        tones = {content.plain[s.start : s.end]: s.style for s in content.spans}
        assert tones["Failed"] == ".tone--warn"  # a Warning
        assert tones["Pulling"] == ".tone--hint"  # a Normal event
        assert not pane.buffered
