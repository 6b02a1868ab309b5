"""The app's own log: a file in the XDG state dir, never the terminal while the TUI runs.

A redacting filter masks anything shaped like an API key as a last line of defence; the code
already never passes a key to the logger.
"""

from __future__ import annotations

import logging
import os
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

from claworc_tui.paths import private_dir

_KEY_SHAPES = re.compile(
    r"(sk-ant-[A-Za-z0-9_-]{8,}|sk-(?:proj-)?[A-Za-z0-9_-]{16,}|BSA[A-Za-z0-9_-]{16,}|"
    r"gAAAAA[A-Za-z0-9_=-]{20,})"
)


def redact(text: str) -> str:
    """Replace every key-shaped substring with a mask."""
    return _KEY_SHAPES.sub(lambda m: f"{m.group(0)[:7]}…(redacted)", text)


class RedactingFilter(logging.Filter):
    """Masks key-shaped text in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def setup_logging(log_file: Path, level: str) -> None:
    """Send the root logger to ``log_file`` (0600, rotating) and nowhere else."""
    private_dir(log_file.parent)
    if not log_file.exists():
        os.close(os.open(log_file, os.O_WRONLY | os.O_CREAT, 0o600))
    handler = RotatingFileHandler(log_file, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    _only(handler, level)


def log_to_stderr(level: str) -> None:
    """Send warnings and errors (at ``level`` or above, at least WARNING) to stderr and
    nowhere else: for the commands that only read, which create no file. The process's stderr
    is the sanitizing stream of ``cli.output`` while a command runs."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("claworc-tui: %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_ours_or_errors)
    worst = max(logging.getLevelNamesMapping()[level], logging.WARNING)
    _only(handler, logging.getLevelName(worst))


def _ours_or_errors(record: logging.LogRecord) -> bool:
    """Our own warnings, and anyone's errors: a library's warnings (kubernetes_asyncio's
    "Config not found" before our own message says the same) would only repeat ours."""
    return record.name.startswith("claworc_tui") or record.levelno >= logging.ERROR


def _only(handler: logging.Handler, level: str) -> None:
    """Make ``handler`` (masking key-shaped text) the root logger's only one, at ``level``."""
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
