"""Copying to the clipboard of the person at the keyboard, wherever that is.

Over SSH (``SSH_CONNECTION`` or ``SSH_TTY`` set) the local clipboard libraries would write to the
*server's* clipboard, which nobody is looking at; the terminal's OSC 52 escape sequence goes back
down the SSH connection to the user's terminal instead (tmux needs ``set -g set-clipboard on``).
Locally pyperclip talks to the desktop clipboard; when it has no backend (a headless box, no
xclip/wl-copy) we fall back to OSC 52 too. See docs/clipboard.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from enum import StrEnum

from textual.app import App


class Via(StrEnum):
    """How a text was copied."""

    OSC52 = "via the terminal (OSC 52)"
    SYSTEM = "to the system clipboard"


def over_ssh(environ: Mapping[str, str]) -> bool:
    """Whether the app runs in an SSH session."""
    return bool(environ.get("SSH_CONNECTION") or environ.get("SSH_TTY"))


def _pyperclip_copy(text: str) -> bool:
    """Copy with pyperclip; False when it has no working backend."""
    try:
        import pyperclip
    except ImportError:  # pragma: no cover - a declared dependency
        return False
    try:
        pyperclip.copy(text)
    except pyperclip.PyperclipException:
        return False
    return True


async def copy_text(app: App[object], text: str, environ: Mapping[str, str]) -> Via:
    """Copy ``text`` the right way for where the user sits.

    Args:
        app: The running app (its driver writes the OSC 52 sequence).
        text: What to copy.
        environ: The process environment (passed in so the decision is explicit).

    Returns:
        How it was copied.
    """
    # pyperclip shells out to xclip/pbcopy and may block: keep it off the event loop.
    if not over_ssh(environ) and await asyncio.to_thread(_pyperclip_copy, text):
        return Via.SYSTEM
    app.copy_to_clipboard(text)
    return Via.OSC52
