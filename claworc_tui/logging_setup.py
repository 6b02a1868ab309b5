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
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
