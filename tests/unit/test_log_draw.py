"""The log pane's draw bounds (``ui/widgets/log_draw.py``): held batches, the repaint interval,
the per-draw budget. Pure functions of their inputs: no clock is read here."""

from __future__ import annotations

from claworc_tui.services.views import LogBatch, LogLine
from claworc_tui.ui.widgets.log_draw import (
    BEHIND_MAX,
    BEHIND_RETRY,
    DRAW_BUDGET,
    MIN_DRAWN,
    REPAINT_EVERY,
    Held,
    draw_delay,
    fit,
)


def lines(start: int, count: int) -> tuple[LogLine, ...]:
    return tuple(LogLine(f"l {i}", "", i) for i in range(start, start + count))


def test_held_batches_come_out_as_one_in_order_with_their_drops() -> None:
    held = Held(limit=100)
    assert not held
    held.add(LogBatch(lines(0, 3), 5))
    held.add(LogBatch(lines(3, 2), 1))
    assert held
    batch = held.take()
    assert [line.seq for line in batch.lines] == [0, 1, 2, 3, 4]
    assert batch.dropped == 6
    assert not held
    assert held.take() == LogBatch((), 0)


def test_held_keeps_the_newest_lines_up_to_its_limit_and_counts_the_rest() -> None:
    held = Held(limit=10)
    held.add(LogBatch(lines(0, 8)))
    held.add(LogBatch(lines(8, 8), 2))
    batch = held.take()
    assert [line.seq for line in batch.lines] == list(range(6, 16))
    assert batch.dropped == 2 + 6


def test_a_drop_alone_is_held_so_it_is_still_said() -> None:
    held = Held(limit=10)
    held.add(LogBatch((), 7))
    assert held
    assert held.take().dropped == 7


def test_draw_now_after_a_quiet_spell_else_at_the_end_of_the_interval() -> None:
    assert draw_delay(float("-inf"), 5.0) == 0.0  # never drawn
    assert draw_delay(1.0, 1.0 + REPAINT_EVERY) == 0.0
    assert draw_delay(1.0, 1.0 + 10 * REPAINT_EVERY) == 0.0
    assert abs(draw_delay(1.0, 1.0 + REPAINT_EVERY / 4) - 0.75 * REPAINT_EVERY) < 1e-9


def test_a_terminal_behind_holds_the_draw_for_a_while_only() -> None:
    after = 1.0 + REPAINT_EVERY
    assert draw_delay(1.0, after, behind=True) == BEHIND_RETRY  # ask again soon
    assert draw_delay(1.0, after, behind=False) == 0.0
    assert draw_delay(1.0, 1.0 + BEHIND_MAX, behind=True) == 0.0  # then draw regardless
    assert draw_delay(float("-inf"), 5.0, behind=True) == 0.0  # the first lines: at once
    # Within the interval the interval decides.
    assert abs(draw_delay(1.0, 1.0, behind=True) - REPAINT_EVERY) < 1e-9


def test_a_draw_keeps_what_its_budget_allows_and_counts_the_rest() -> None:
    cost = DRAW_BUDGET / 5000  # a machine that draws 5 000 lines within the budget
    kept, dropped = fit(lines(0, 12_000), 3, cost)
    assert [line.seq for line in kept] == list(range(7000, 12_000))
    assert dropped == 3 + 7000
    kept, dropped = fit(lines(0, 4000), 0, cost)
    assert len(kept) == 4000
    assert dropped == 0
    kept, dropped = fit(lines(0, 9000), 0, DRAW_BUDGET)  # however slow: MIN_DRAWN lines
    assert len(kept) == MIN_DRAWN
    assert dropped == 9000 - MIN_DRAWN
