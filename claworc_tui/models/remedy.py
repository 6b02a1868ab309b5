"""What the user can do about a refusal or a failure, as data.

The layers below the front ends say *which* remedy applies (and to what: the instance, the image
to go back to); they never name a command, a flag or a key. Each front end words it for its user:
the CLI as the command to type (``cli/remedies.py``), the TUI as the key or screen to use
(``ui/remedies.py``). An error carries its remedies in :attr:`ClaworcError.advice
<claworc_tui.models.errors.ClaworcError.advice>`; ``str(error)`` stays the situation alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Remedy(StrEnum):
    """A thing the user can do next."""

    RETRY = "retry"
    """Run the same operation again."""
    FORGET = "forget"
    """Another claworc database owns the objects now: drop this stale record."""
    ADOPT = "adopt"
    """Take the instance over into this database (another one, or none, owns its objects)."""
    FINISH_ADOPT = "finish-adopt"
    """An adopt here stopped half-way: adopting again (or a repair) finishes it."""
    DELETE = "delete"
    """Delete the instance instead."""
    REDEPLOY = "redeploy"
    """Redeploy the instance with :attr:`Advice.image` (the image it ran before)."""
    WIDEN_PORTS = "widen-ports"
    """Widen the NodePort range of the settings (``port_range_start``/``port_range_end``)."""
    OPEN_URL = "open-url"
    """Use the instance's URLs: its pages are published on this host already."""


@dataclass(frozen=True)
class Advice:
    """A remedy and what it applies to."""

    remedy: Remedy
    name: str | None = None
    """The instance (None: the one the message is about, unnamed)."""
    image: str | None = None
    """:attr:`Remedy.REDEPLOY`: the image to redeploy."""
