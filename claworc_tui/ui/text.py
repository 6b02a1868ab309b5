"""Showing text from outside the program: as :class:`Content`, never parsed as markup.

Markup is parsed only from our own constant strings. Anything else — names, display names, Event
messages, termination messages, log lines, API errors, settings, what the user typed — goes in
as a template value (:func:`fmt`), as plain :class:`Content` (:func:`plain`) or through
:func:`toast`, and always through :func:`~claworc_tui.models.text.safe_text` first (control and
bidi characters become ``�``). ``textual.markup.escape`` is not enough and is not used: it misses
``[ @click=…]`` (a leading space), ``[$variable]`` and ``[Link=…]``, and a ``MarkupError`` from
a bad string raised wherever the text was drawn (issue 11).
"""

from __future__ import annotations

import sys
from typing import Any

from textual.app import App
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.widget import Widget

from claworc_tui.models.text import safe_text


def plain(text: object, style: str = "", *, multiline: bool = False) -> Content:
    """Untrusted ``text`` as Content in ``style`` (a constant): shown as written, controls
    replaced, newlines kept only when ``multiline``."""
    clean = safe_text(text, multiline=multiline)
    return Content.styled(clean, style) if style else Content(clean)


def fmt(template: str, /, **values: object) -> Content:
    """Our markup ``template`` (a constant) with untrusted ``values`` put in as plain text.

    ``fmt("[b]$name[/b]  $state", name=view.name, state=row.state)``: the values are sanitized
    to one line each and substituted after the markup is parsed, so nothing in them is a tag.
    A multi-line value should be a separate :func:`plain` (joined with ``Content.assemble``).
    """
    return Content.from_markup(template, **{key: safe_text(v) for key, v in values.items()})


def stacked(*parts: Content) -> Content:
    """Contents one under the other."""
    return Content("\n").join(parts)


def toast(
    node: Widget | App[Any],
    message: object,
    *,
    title: object = "",
    severity: SeverityLevel = "information",
    timeout: float | None = None,
) -> None:
    """A notification whose message and title are shown as text (never markup)."""
    node.notify(
        safe_text(message, multiline=True),
        title=safe_text(title),
        severity=severity,
        timeout=timeout,
        markup=False,
    )


def is_text_field(widget: object) -> bool:
    """Whether ``widget`` is a field the user types into (an ``Input`` or a ``TextArea``).

    ``TextArea`` (with tree-sitter, ~10 ms) is imported only by the screens that use it: a
    widget cannot be one before its module is loaded, so the check does not load it.
    """
    from textual.widgets import Input

    text_area = sys.modules.get("textual.widgets._text_area")
    return isinstance(widget, Input) or (
        text_area is not None and isinstance(widget, text_area.TextArea)
    )
