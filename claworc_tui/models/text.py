"""Text from outside the program is data, never control: one sanitizer for the TUI and the CLI.

Everything shown that the program did not write itself — names and display names from the
database, Event messages, a container's termination message (any process in the pod can write
``/dev/termination-log``), API error messages, log lines, settings, what the user typed — goes
through :func:`safe_text` before it reaches a terminal. A terminal acts on control characters:
``ESC ] 52 ; c ; … ESC \\`` writes the clipboard, ``ESC [ 2 J`` clears the screen, ``ESC ] 8``
makes links, and the C1 forms (``\\x9b`` for ``ESC [``, ``\\x9d`` for ``ESC ]``) do the same on
terminals that take 8-bit controls. Bidirectional overrides and isolates make text read in
another order than it is stored (a name that looks like another one).

What is replaced, each by one :data:`PLACEHOLDER` (``�``, as the log pane always showed):

* C0 controls (U+0000–U+001F) except newline and tab, ESC included; DEL (U+007F);
* C1 controls (U+0080–U+009F);
* bidi controls: LRM/RLM (U+200E, U+200F), ALM (U+061C), the embeddings and overrides
  (U+202A–U+202E) and the isolates (U+2066–U+2069);
* the line and paragraph separators (U+2028, U+2029), which some terminals break lines on;
* lone surrogates (U+D800–U+DFFF), which cannot be encoded and would crash a write.

A tab becomes spaces (to the next multiple of 4 columns); a newline is kept when the text may
span lines and becomes a space otherwise; ``\\r\\n`` counts as a newline. One visible glyph
rather than silent removal: the operator sees that something was there, and the text keeps its
length roughly (a removed ``ESC`` would turn ``ESC[2J`` into a harmless but misleading ``[2J``).

This module imports nothing but ``re``: the CLI (no Textual) and the UI share it.
"""

from __future__ import annotations

import re

#: What every control character is replaced with.
PLACEHOLDER = "\ufffd"
TAB_SIZE = 4

_CONTROLS = (
    "\x00-\x08\x0b-\x1f"  # C0 except tab and newline (ESC is \x1b)
    "\x7f-\x9f"  # DEL and C1
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, overrides, isolates
    "\u2028\u2029"  # line and paragraph separators
    "\ud800-\udfff"  # lone surrogates
)
_UNSAFE = re.compile(f"[{_CONTROLS}]")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Any character the sanitizer changes (tab and newline included): the fast path's test.
_TOUCHED = re.compile(f"[{_CONTROLS}\t\n]")


def is_unsafe_char(char: str) -> bool:
    """Whether ``char`` is a control (or bidi) character :func:`safe_text` replaces."""
    return _UNSAFE.fullmatch(char) is not None


def has_controls(text: str) -> bool:
    """Whether ``text`` holds any character :func:`safe_text` would replace (tab and newline
    are not counted: they are layout, not control)."""
    return _UNSAFE.search(text) is not None


def safe_text(text: object, *, multiline: bool = False) -> str:
    """``text`` (anything: it is ``str()``-ed) made safe to write to a terminal.

    Args:
        text: Text from outside the program; ``None`` gives ``""``.
        multiline: Keep newlines (a message pane, a log line never has any); otherwise each
            newline becomes a space, so one field stays on one row.

    Returns:
        The text with every control character replaced by :data:`PLACEHOLDER` and tabs
        expanded. Idempotent: ``safe_text(safe_text(s)) == safe_text(s)``.
    """
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    if _TOUCHED.search(value) is None:
        return value
    value = value.replace("\r\n", "\n")
    if not multiline:
        value = value.replace("\n", " ")
    if "\t" in value:
        value = "\n".join(line.expandtabs(TAB_SIZE) for line in value.split("\n"))
    return _UNSAFE.sub(PLACEHOLDER, value)


def one_line(text: object) -> str:
    """:func:`safe_text` on one row, runs of whitespace squeezed to one space (list cells)."""
    return " ".join(safe_text(text).split())


def json_escape_controls(text: str) -> str:
    """A JSON text with every control and bidi character written as a ``\\uXXXX`` escape.

    Inside a JSON string the escape means the same character, and outside strings those
    characters are not valid JSON anyway (carriage returns, JSON whitespace, are kept): an editor
    can show the config as it means without drawing a control character.
    """
    return _UNSAFE.sub(
        lambda m: m.group() if m.group() == "\r" else f"\\u{ord(m.group()):04x}", text
    )


def storable(text: str) -> str:
    """``text`` with lone surrogates replaced by :data:`PLACEHOLDER`.

    JSON may carry them (``"\\ud800"`` decodes to one), but they are not Unicode text: writing
    one to SQLite, a file or a terminal raises ``UnicodeEncodeError``. Text from the API server
    goes through this before anything keeps it.
    """
    return _SURROGATE.sub(PLACEHOLDER, text) if _SURROGATE.search(text) else text
