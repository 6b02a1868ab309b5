"""Hostile text: what a pod, the cluster, the database or a user can put in a field we show.

Terminal escapes (OSC 52 clipboard writes, screen clears, OSC 8 links, their C1 forms), bidi
overrides, and Textual markup that ``textual.markup.escape`` does not neutralise (a leading
space before ``@click``, ``$variables``, upper-case ``Link``).
"""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import strategies as st

OSC52 = "\x1b]52;c;cHduZWQ=\x1b\\"
CLEAR = "\x1b[2J"
OSC8 = "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\"
C1_CSI = "\x9b2J"
C1_OSC = "\x9d52;c;cHduZWQ=\x9c"
RLO = "\u202eevil\u202c"
CLICK_QUIT = "[ @click=app.quit]quit[/]"
CLICK_SCREENSHOT = '[ @click=app.screenshot("pwned.svg","{folder}")]shot[/]'
BAD_LINK = "[Link=https://x]link"
VARIABLE = "[$error]var[/]"

PAYLOADS = (OSC52, CLEAR, OSC8, C1_CSI, C1_OSC, RLO, CLICK_QUIT, BAD_LINK, VARIABLE, "[/]", "[")

#: Characters no frame and no line of CLI output may carry (newline aside, which ends a line).
FORBIDDEN = frozenset(
    [chr(c) for c in range(0x20) if chr(c) != "\n"]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + list("\u061c\u200e\u200f\u2028\u2029")
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)
#: Sequences of the payloads that must never reach a terminal (a style's own ``ESC[…m`` may).
SEQUENCES = ("\x1b]", "\x1b[2J", "\x1b\\", "\x9b", "\x9d", "\x9c", "\u202e", "\x07")


def hostile_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Text mixing the fixed payloads with random characters, controls favoured."""
    controls = st.sampled_from([*sorted(FORBIDDEN), "\n", "\t", "\ud800"])
    chars = st.characters(codec="utf-8") | controls
    piece = st.sampled_from([*PAYLOADS, "\r\n"]) | st.text(chars, max_size=8) | controls
    return st.lists(piece, max_size=max_size // 4 or 1).map("".join)


def hostile_field(max_size: int = 40) -> st.SearchStrategy[str]:
    """Like :func:`hostile_text`, never empty or blank (a field the service requires)."""
    return hostile_text(max_size).map(lambda text: "x" + text)


def bad_chars(texts: Iterable[str]) -> list[str]:
    """Every forbidden character in ``texts`` (for an assertion message that shows them)."""
    return sorted({repr(char) for text in texts for char in text if char in FORBIDDEN})


def leaked(output: str) -> list[str]:
    """The payload sequences found in raw terminal output."""
    return [seq for seq in SEQUENCES if seq in output]
