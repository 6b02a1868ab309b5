"""The instance list at fleet scale: 1 000 rows, updated in place, keys still fast.

This exercises the widget alone with view models (pure data, no service involved), since the
point is the table's cost per change, not the cluster's.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from textual.app import App, ComposeResult

from claworc_tui.models.instance import Instance, InstanceStatus, Resources, Storage
from claworc_tui.services.views import InstanceView, Tone
from claworc_tui.ui.widgets.instance_list import InstanceList
from tests.ui.harness import fixed_now

CREATED = datetime(2025, 1, 1, tzinfo=UTC)


def view(index: int, status: str = "Running", restarts: int = 0) -> InstanceView:
    """A view of instance number ``index``."""
    instance = Instance(
        id=index,
        name=f"bot-{index:04d}",
        display_name=f"Bot {index}",
        nodeport_chrome=30000 + 2 * index,
        nodeport_terminal=30001 + 2 * index,
        status=InstanceStatus.RUNNING,
        resources=Resources(),
        storage=Storage(),
        clawdbot_config=None,
        overrides=frozenset(),
        created_at=CREATED,
        updated_at=CREATED,
    )
    tone = Tone.OK if status == "Running" else Tone.ERROR
    return InstanceView(
        instance=instance,
        status=status,
        tone=tone,
        ready=status == "Running",
        ready_text="1/1" if status == "Running" else "0/1",
        restarts=restarts,
    )


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield InstanceList(fixed_now)


async def test_a_thousand_rows_update_in_place_and_keys_stay_fast() -> None:
    app = ListApp()
    async with app.run_test(size=(160, 45)) as pilot:
        listing = app.query_one(InstanceList)
        listing.focus()
        started = time.perf_counter()
        listing.apply_snapshot([view(i) for i in range(1000)])
        await pilot.pause()
        assert time.perf_counter() - started < 3.0
        assert listing.row_count == 1000
        first_key = listing.ordered_rows[0].key
        started = time.perf_counter()
        for round_ in range(300):
            index = (round_ * 37) % 1000
            listing.apply_changes([view(index, "CrashLoopBackOff", restarts=round_)], ())
        elapsed = time.perf_counter() - started
        assert elapsed < 1.5, f"300 changes took {elapsed:.2f}s"
        # In place: the same rows, in the same order, not a rebuilt table.
        assert listing.ordered_rows[0].key == first_key
        assert listing.row_count == 1000
        assert "CrashLoopBackOff" in listing.get_cell("bot-0037", "status").plain
        started = time.perf_counter()
        await pilot.press("j")
        assert time.perf_counter() - started < 0.5
        assert listing.selected_name == "bot-0001"


async def test_sorting_by_status_keeps_the_cursor_on_its_instance() -> None:
    app = ListApp()
    async with app.run_test(size=(120, 30)) as pilot:
        listing = app.query_one(InstanceList)
        listing.focus()
        listing.apply_snapshot([view(i) for i in range(50)])
        await pilot.pause()
        listing.select("bot-0020")
        listing.sort_by("status")
        listing.apply_changes([view(30, "OOMKilled")], ())
        await pilot.pause()
        assert listing.ordered_rows[0].key.value == "bot-0030"  # errors sort first
        assert listing.selected_name == "bot-0020"


async def test_removed_instances_leave_and_unmark() -> None:
    app = ListApp()
    async with app.run_test(size=(120, 30)) as pilot:
        listing = app.query_one(InstanceList)
        listing.focus()
        listing.apply_snapshot([view(i) for i in range(5)])
        await pilot.pause()
        await pilot.press("space")
        assert listing.marked == {"bot-0000"}
        listing.apply_changes((), ("bot-0000",))
        await pilot.pause()
        assert listing.marked == frozenset()
        assert listing.row_count == 4
        many: Any = [f"bot-{i:04d}" for i in range(1, 5)]
        listing.apply_changes((), many)
        assert listing.row_count == 0
        assert listing.selected_name is None
