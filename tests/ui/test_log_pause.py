"""The log pane says it is paused the moment a key pauses it (issue 17, keys under a flood).

It used to say so only when the next lines arrived (as "N new lines"): with a bursty stream the
key's effect showed hundreds of milliseconds late, and with a quiet one never.
"""

from __future__ import annotations

from claworc_tui.ui.widgets.log_pane import LogPane
from tests._support.wait import wait_for
from tests.ui.conftest import Env, pod_of


def status(pane: LogPane) -> str:
    return str(pane.query_one("#log-status").render())


async def test_top_says_paused_at_once_and_end_takes_it_back(env: Env) -> None:
    async with env.logs() as (pilot, _, pane):
        pod = pod_of(env, "bot-alpha")
        await env.emulator.generate_logs("claworc", pod, rate=None, count=300)
        before = len(pane.buffered)
        await wait_for(lambda: len(pane.buffered) >= before + 300, pilot=pilot, what="300 lines")
        await pilot.pause(0.2)
        assert "End to follow" not in status(pane)
        await pilot.press("g")
        assert pane.unseen == 0  # no line came: still it says so
        assert "paused — End to follow" in status(pane)
        assert pane.has_class("-paused")
        await pilot.press("G")
        assert "End to follow" not in status(pane)
        assert not pane.has_class("-paused")
