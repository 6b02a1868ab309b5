"""Tone colours come from the stylesheet: component classes, not theme variables in Python.

Text drawn in a tone (a status with its glyph, a step's ✓ or ✖, a diff line, a warning) is
:class:`~textual.content.Content` styled with the tone's component class: ``toned("✓", "ok")``
is ``Content.styled("✓", ".tone--ok")``. Textual resolves a ``.name`` style when it draws the
content, against the nearest widget (the drawing widget, then its ancestors) whose
``COMPONENT_CLASSES`` list ``name``; the colour is the rule in ``styles/widgets.tcss``
("Tones"). So a theme change recolours what is on screen, a colour is changed in one line of
TCSS, and no Python reads ``theme_variables`` or writes ``[$success]`` into markup.

A widget or screen that shows toned text lists :data:`TONE_CLASSES` in its COMPONENT_CLASSES
(a modal lists them on itself: its dialogs' widgets find them as an ancestor's). Rich
renderables (DataTable cells) are not drawn through that lookup; they take a class's Rich style
from ``widget.get_component_rich_style`` instead (the drift screen, the activity pane).
"""

from __future__ import annotations

from typing import Literal

from textual.content import Content

from claworc_tui.services.views import Tone
from claworc_tui.ui.format import TONE_GLYPHS
from claworc_tui.ui.text import plain

ToneName = Literal["ok", "busy", "warn", "error", "muted", "hint", "accent"]
"""The tones: a status's five (:class:`Tone`), ``hint`` for secondary text (``$foreground-muted``)
and ``accent`` for what stands out without meaning a state (keys in the help, a diff's hunks)."""

TONE_NAMES: tuple[ToneName, ...] = ("ok", "busy", "warn", "error", "muted", "hint", "accent")

TONE_CLASSES: frozenset[str] = frozenset(f"tone--{name}" for name in TONE_NAMES)
"""The component classes of the tones, for a widget's or screen's ``COMPONENT_CLASSES``."""


def tone_style(tone: Tone | ToneName) -> str:
    """The Content style of ``tone``: its component class, as ``.tone--ok``."""
    return f".tone--{tone.value if isinstance(tone, Tone) else tone}"


def toned(
    text: object, tone: Tone | ToneName, *, bold: bool = False, multiline: bool = False
) -> Content:
    """``text`` (outside text is fine: shown as written, never markup) drawn in ``tone``.

    Args:
        text: What to show.
        tone: The tone.
        bold: Also bold (a failure's heading).
        multiline: Keep newlines.
    """
    content = plain(text, tone_style(tone), multiline=multiline)
    return content.stylize("bold") if bold else content


def status_text(tone: Tone, text: str) -> Content:
    """``text`` in the status tone, after the tone's glyph (the state reads without colour)."""
    return toned(f"{TONE_GLYPHS[tone]} {text}", tone)
