"""The drift view at 80×24: DETAIL is on screen, and the selected difference reads in full."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widgets import DataTable, Static

from claworc_tui.ui.screens.drift import fit_widths
from tests._support.wait import wait_for
from tests.ui.conftest import Env
from tests.ui.test_snapshots_dialogs import make_drift, open_drift


def detail_left(table: DataTable[Text]) -> int:
    """Where the DETAIL column starts, in cells from the table's left edge."""
    left = 0
    for key, column in table.columns.items():
        if key.value == "detail":
            return left
        left += column.get_render_width(table)
    raise AssertionError("no DETAIL column")


def shows(widget: Static, text: str) -> Callable[[], bool]:
    """Whether ``widget`` shows ``text`` (a predicate for ``wait_for``)."""
    return lambda: text in str(widget.render())


async def test_detail_fits_80_columns_and_the_selected_one_reads_in_full(env: Env) -> None:
    await make_drift(env)
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        drift = await open_drift(pilot)
        table = drift.query_one("#drift-table", DataTable)
        # The column starts well inside the screen (it started at column 104 of 80).
        assert detail_left(table) <= 80 - 22
        report = drift._report
        assert report is not None
        shown = drift.query_one("#drift-detail", Static)
        for row, item in enumerate(report.items):
            table.move_cursor(row=row)
            await wait_for(shows(shown, item.detail), pilot=pilot, what="the detail")
            text = str(shown.render())
            assert item.object in text
            assert item.repair in text
            # Cut cells end in an ellipsis, never mid-word without a sign.
            cell = table.get_row_at(row)[-1].plain
            assert cell == item.detail or cell.endswith("…")


async def test_wide_terminal_gives_detail_the_rest(env: Env) -> None:
    await make_drift(env)
    app = env.app()
    async with app.run_test(size=(160, 45)) as pilot:
        table = (await open_drift(pilot)).query_one("#drift-table", DataTable)
        objects = [table.get_row_at(i)[3].plain for i in range(3)]
        assert "ConfigMap/bot-ghost-config" in objects  # nothing cut when it fits
        assert str(table.get_row_at(0)[-1].plain).startswith("cluster has ")


def test_fit_widths() -> None:
    # Everything fits: each column what it holds, DETAIL the rest.
    assert fit_widths(100, [7, 9, 26, 19], [7, 9, 12, 10], 30) == [7, 9, 26, 19, 39]
    # Too narrow: the widest are cut towards their least, DETAIL keeps a third.
    widths = fit_widths(65, [7, 9, 26, 19], [7, 9, 12, 10], 58)
    assert widths[:2] == [7, 9]
    assert widths[-1] >= 65 // 3
    assert sum(widths) == 65
    # Nothing left to cut: DETAIL gets what remains (the table then scrolls).
    assert fit_widths(30, [15, 10, 12, 10], [15, 10, 12, 10], 40) == [15, 10, 12, 10, 1]
