"""Pure formatting helpers shared by widgets (no Textual, no I/O): ages, ports, glyphs.

Tone colours are the stylesheet's (``ui/widgets/tones.py``), not Python's."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from claworc_tui.models.activity import ApiCall
from claworc_tui.services.views import InstanceView, Tone

#: Glyph drawn before a status, so the state reads without colour too.
TONE_GLYPHS: dict[Tone, str] = {
    Tone.OK: "●",
    Tone.BUSY: "◐",
    Tone.WARN: "▲",
    Tone.ERROR: "✖",
    Tone.MUTED: "○",
}


def age(since: datetime | None, now: datetime) -> str:
    """A kubectl-style age: ``45s``, ``12m``, ``3h``, ``5d``, ``2y``.

    Args:
        since: The start, or None.
        now: The current time (injected, so tests are deterministic).

    Returns:
        The age, or ``-`` when unknown.
    """
    if since is None:
        return "-"
    if since.tzinfo is None and now.tzinfo is not None:
        since = since.replace(tzinfo=now.tzinfo)
    elif now.tzinfo is None and since.tzinfo is not None:
        now = now.replace(tzinfo=since.tzinfo)
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def ports(view: InstanceView) -> str:
    """The Chrome/Terminal NodePorts as ``30100/30101``; ``private`` when it holds none."""
    pair = view.instance.node_ports
    return "private" if pair is None else f"{pair[0]}/{pair[1]}"


def status_text(view: InstanceView) -> str:
    """Status with the last termination reason when it adds something (``Running ↺OOMKilled``)."""
    if view.last_termination and view.last_termination not in view.status:
        return f"{view.status} ↺{view.last_termination}"
    return view.status


def truncate(text: str | None, width: int) -> str:
    """Cut ``text`` to ``width`` cells with an ellipsis (``-`` when empty)."""
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def api_call(call: ApiCall) -> str:
    """One Kubernetes call as the activity pane shows it: ``PATCH deployments/bot-a → 200 12ms``."""
    target = f"{call.resource}/{call.name}" if call.name else call.resource
    status = "no answer" if call.status is None else str(call.status)
    return f"{call.verb.upper()} {target} → {status} {call.duration_ms:.0f}ms"


def matches(view: InstanceView, query: str) -> bool:
    """Whether an instance matches the list filter: a case-insensitive substring of its name,
    display name or status, or failing that the query's letters in order in its name (fuzzy)."""
    query = query.strip().lower()
    if not query:
        return True
    fields = (view.name, view.instance.display_name, view.status)
    if any(query in field.lower() for field in fields):
        return True
    position = 0
    name = view.name.lower()
    for char in query:
        position = name.find(char, position) + 1
        if position == 0:
            return False
    return True


def with_labels(message: str, labels: Mapping[str, str]) -> str:
    """``message`` with each internal field name (``cpu_limit``) replaced by the label the user
    sees (``CPU limit``); pydantic's ``field: …`` prefix becomes ``Label: …`` the same way.

    Args:
        message: A validation message from the models or the service.
        labels: Field name → label, for the fields of the form that shows the message.
    """
    if not labels:
        return message
    names = sorted(labels, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, names)) + r")(?![\w.])")
    return pattern.sub(lambda match: labels[match.group(1)], message)
