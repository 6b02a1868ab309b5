"""What the log pane says about itself: its status row and, before the first line, the pod's events.

Pure functions of the pane's state (no widget here), so the pane repaints its status row with one
``Static.update`` and the wording lives in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from textual.content import Content

from claworc_tui.services.views import EventRow, LogStreamState
from claworc_tui.ui.format import truncate
from claworc_tui.ui.text import fmt, plain, stacked
from claworc_tui.ui.widgets.event_line import event_line
from claworc_tui.ui.widgets.tones import toned

TAIL_PRESETS: tuple[int | None, ...] = (100, 500, 2000, None)
SINCE_PRESETS: tuple[int | None, ...] = (None, 300, 3600, 86400)
STATE_LABEL = {
    LogStreamState.WAITING: "waiting for the container",
    LogStreamState.LIVE: "live",
    LogStreamState.RECONNECTING: "reconnecting",
    LogStreamState.ENDED: "stream ended",
    LogStreamState.FAILED: "stream failed",
}


def since_label(seconds: int | None) -> str:
    """A since preset as the status row shows it (``5m``, ``1h``, ``1d``, ``any time``)."""
    if seconds is None:
        return "any time"
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"


@dataclass(frozen=True)
class PaneState:
    """What the status row shows."""

    name: str | None
    state: LogStreamState | None
    detail: str | None
    tail_index: int
    since_index: int
    previous: bool
    timestamps: bool
    wrap: bool
    filter: str
    search: str
    matches: int
    unseen: int
    paused: bool


def status_line(pane: PaneState) -> Content:
    """The status row: instance, stream state, options, and whether following is paused."""
    parts: list[Content] = []
    parts.append(
        fmt("[b]$name[/b]", name=pane.name)
        if pane.name
        else Content.from_markup("[$text-muted]no instance[/]")
    )
    if pane.state is not None:
        css = {
            LogStreamState.LIVE: "$success",
            LogStreamState.FAILED: "$error",
            LogStreamState.ENDED: "$warning",
        }.get(pane.state, "$accent")
        label = STATE_LABEL[pane.state]
        detail = f": {truncate(pane.detail, 60)}" if pane.detail else ""
        parts.append(Content.assemble(plain(f"● {label}", css), plain(detail)))
    tail = TAIL_PRESETS[pane.tail_index]
    parts.append(Content("previous container" if pane.previous else f"tail {tail or 'all'}"))
    if pane.since_index:
        parts.append(Content(f"since {since_label(SINCE_PRESETS[pane.since_index])}"))
    if pane.timestamps:
        parts.append(Content("timestamps"))
    if pane.wrap:
        parts.append(Content("wrap"))
    if pane.filter:
        parts.append(fmt("filter [b]$text[/b]", text=pane.filter))
    if pane.search:
        parts.append(fmt("search [b]$text[/b] ($count)", text=pane.search, count=pane.matches))
    if pane.unseen:
        parts.append(plain(f" ⏸ {pane.unseen} new lines — End to follow ", "reverse"))
    elif pane.paused:
        parts.append(plain(" ⏸ paused — End to follow ", "reverse"))
    return Content(" · ").join(parts)


def event_rows(events: Sequence[EventRow], now: datetime) -> Content:
    """The pod's events, shown while there are no log lines yet."""
    rows = [Content.from_markup("[b]No log lines yet.[/b] Pod events:")]
    if not events:
        rows.append(Content.assemble("  ", toned("no events", "hint")))
    rows.extend(event_line(event, now, 160) for event in events[:12])
    return stacked(*rows)
