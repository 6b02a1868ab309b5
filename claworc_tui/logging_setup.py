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
from typing import Any

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


_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(log_file: Path, level: str) -> None:
    """Send the root logger to ``log_file`` (0600, rotating) and nowhere else."""
    _create(log_file)
    handler = RotatingFileHandler(log_file, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    _only([handler], level)


def log_to_stderr(log_file: Path, level: str) -> None:
    """For the commands that only read, which write nothing in a normal run: their warnings (at
    ``level`` or above, at least WARNING) go to stderr, one line each, never a traceback; an
    error (a bug) is also written, with its traceback, to ``log_file``, which is created only
    then. The process's stderr is the sanitizing stream of ``cli.output`` while a command runs.
    """
    shown = logging.StreamHandler()
    shown.setFormatter(_OneLine("claworc-tui: %(levelname)s %(name)s: %(message)s"))
    shown.addFilter(_ours_or_errors)
    kept = _FileOnFirstError(log_file, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    kept.setFormatter(logging.Formatter(_FORMAT))
    kept.setLevel(logging.ERROR)
    worst = max(logging.getLevelNamesMapping()[level], logging.WARNING)
    _only([shown, kept], logging.getLevelName(worst))


def _create(log_file: Path) -> None:
    private_dir(log_file.parent)
    if not log_file.exists():
        os.close(os.open(log_file, os.O_WRONLY | os.O_CREAT, 0o600))


class _FileOnFirstError(RotatingFileHandler):
    """The log file, made (folder and all, as :func:`setup_logging` makes it) at the first
    record it takes, not before."""

    def __init__(self, log_file: Path, **options: Any) -> None:
        super().__init__(log_file, delay=True, **options)
        self._path = log_file

    def _open(self) -> Any:
        _create(self._path)
        return super()._open()


class _OneLine(logging.Formatter):
    """A record's message without its traceback (that goes to the log file)."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        return self.formatMessage(record)


def _ours_or_errors(record: logging.LogRecord) -> bool:
    """Our own warnings, and anyone's errors: a library's warnings (kubernetes_asyncio's
    "Config not found" before our own message says the same) would only repeat ours."""
    return record.name.startswith("claworc_tui") or record.levelno >= logging.ERROR


def _only(handlers: list[logging.Handler], level: str) -> None:
    """Make ``handlers`` (each masking key-shaped text) the root logger's only ones."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    root.setLevel(level)
