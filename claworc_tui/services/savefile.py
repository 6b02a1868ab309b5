"""Saving text the user asked for (log lines) without following links or overwriting silently.

A new file is created with ``O_CREAT|O_EXCL|O_NOFOLLOW`` and mode 0600, so an existing file — or
a symlink planted where the file goes — is never opened, let alone truncated. Replacing is a
separate, explicit step: the text goes to a new private file beside it, which is then renamed
over the old name (a rename replaces a symlink itself, never what it points to).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from claworc_tui.config import default_state_dir
from claworc_tui.paths import private_dir

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def default_logs_dir() -> Path:
    """Where saved logs go unless the user says otherwise: ``$XDG_STATE_HOME/claworc-tui/logs``."""
    return default_state_dir() / "logs"


def _write_new(path: Path, text: str) -> None:
    fd = os.open(path, _FLAGS, 0o600)
    try:
        data = text.encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def save_text(path: Path, text: str, *, replace: bool = False) -> None:
    """Write ``text`` to a new owner-only file at ``path``.

    Args:
        path: The file; its folder is created (0700) when it is the default logs folder.
        text: What to write (UTF-8).
        replace: Replace an existing file (or link) of that name; without it an existing name
            raises :class:`FileExistsError` so the caller can ask first.

    Raises:
        FileExistsError: ``path`` exists (a file, a link, anything) and ``replace`` is false.
        OSError: The file cannot be written (the message names why).
    """
    if path.parent == default_logs_dir():
        private_dir(path.parent)
    if not replace:
        _write_new(path, text)
        return
    if path.is_dir() and not path.is_symlink():
        raise IsADirectoryError(21, "is a folder", str(path))
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    _write_new(temporary, text)
    try:
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
