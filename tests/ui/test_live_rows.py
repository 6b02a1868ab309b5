"""What the rows and the detail pane claim: last-known while the cluster is away, times that tick,
and no polling GET behind a selected instance.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from claworc_tui.services.views import ConnectionState
from claworc_tui.ui.screens import main as main_module
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.widgets.app_header import AppHeader
from claworc_tui.ui.widgets.instance_detail import InstanceDetail
from tests._support.wait import wait_for
from tests.ui.conftest import Env
from tests.ui.harness import FIXED_NOW
from tests.ui.steps import main_screen


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = FIXED_NOW

    def __call__(self) -> datetime:
        return self.now


async def test_rows_say_last_known_while_the_cluster_is_away(env: Env) -> None:
    async with env.started(size=(160, 45)) as (_, pilot, screen):
        listing = screen.instance_list
        header = screen.query_one(AppHeader)

        def alpha() -> str:
            return listing.cell_text("bot-alpha", "status")

        await wait_for(
            lambda: header.connection.state is ConnectionState.LIVE,
            pilot=pilot,
            timeout=10,
            what="live",
        )
        assert alpha().endswith("Running")
        await env.emulator.stop()
        await wait_for(lambda: "old" in alpha(), pilot=pilot, timeout=10, what="stale")
        assert alpha().startswith("? Running")
        await env.emulator.start()
        await wait_for(lambda: "old" not in alpha(), pilot=pilot, timeout=10, what="live again")


async def test_detail_times_tick_with_the_list(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    # The beat is 10 s; the test is quick.
    monkeypatch.setattr(main_module, "TICK_SECONDS", 0.2, raising=False)
    clock = Clock()
    app = env.app(now=clock)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await main_screen(pilot)
        listing = screen.instance_list
        detail = screen.query_one(InstanceDetail)
        summary = screen.query_one("#detail-summary")
        await wait_for(lambda: detail.details is not None, pilot=pilot, timeout=10, what="details")
        assert detail.view is not None
        name, created = detail.view.name, detail.view.instance.created_at

        for seconds in (33, 47):
            clock.now = created + timedelta(seconds=seconds)
            # The detail pane and the AGE column move together, on the same tick.

            def both_show(s: int = seconds) -> bool:
                return (
                    f"Created    {s}s ago" in str(summary.render())
                    and listing.cell_text(name, "age") == f"{s}s"
                )

            await wait_for(
                both_show,
                pilot=pilot,
                timeout=3,
                what=f"{seconds}s in both",
            )


async def test_a_selected_instance_is_not_polled(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=(160, 45)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        detail = screen.query_one(InstanceDetail)
        await wait_for(lambda: detail.details is not None, pilot=pilot, timeout=10, what="details")
        # Something changes on the selected instance (its pod is replaced) ...
        pod = detail.view.pod_name if detail.view else None
        assert pod is not None
        before = len(env.emulator.requests)
        await env.services.instances.kube.transport.call(
            "delete", "pods", "delete_namespaced_pod", name=pod, namespace="claworc"
        )
        await wait_for(
            lambda: any(pod in e.object for e in (detail.details.events if detail.details else ())),
            pilot=pilot,
            timeout=5,
            what="the pod's events in the pane, from the watch",
        )
        # ... and then it idles with one instance selected: only the watches stay open.
        await pilot.pause(3.0)
        calls = [f"{r.method} {r.path}?{r.query}" for r in env.emulator.requests[before:]]
        assert calls == [f"DELETE /api/v1/namespaces/claworc/pods/{pod}?"], calls
