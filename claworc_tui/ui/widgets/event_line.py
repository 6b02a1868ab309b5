"""A Kubernetes event as one line: how the detail pane and the log pane list a pod's events."""

from __future__ import annotations

from datetime import datetime

from textual.content import Content

from claworc_tui.services.views import EventRow
from claworc_tui.ui.format import age, truncate
from claworc_tui.ui.text import plain
from claworc_tui.ui.widgets.tones import ToneName, toned


def event_line(event: EventRow, now: datetime, width: int) -> Content:
    """``   3m BackOff ×5 Back-off restarting failed container``: the age, the reason (in the
    warning tone for a Warning), how often it happened when more than once, and the message cut
    to ``width``. The widget that shows it lists ``TONE_CLASSES`` (see ``tones.py``).

    Args:
        event: The event (its reason and message are outside text: shown as written).
        now: The current time, for the age.
        width: The message's width at most.
    """
    tone: ToneName = "warn" if event.type == "Warning" else "hint"
    count = f" ×{event.count}" if event.count > 1 else ""
    return Content.assemble(
        f"  {age(event.time, now):>4} ",
        toned(event.reason, tone),
        plain(f"{count} {truncate(event.message, width)}"),
    )
