"""The CLI's stdout and stderr pass text, never terminal controls.

Everything the CLI prints may quote what came from outside: a status or reason from the
cluster, an API server's error message, a log line, a setting from the database, a name the
user typed. Rather than trusting every ``print`` to remember, :func:`sanitized_streams` puts a
filter in front of ``sys.stdout`` and ``sys.stderr`` for the whole command: every write goes
through :func:`~claworc_tui.models.text.safe_text` (newlines kept). JSON output is unchanged
(``json.dumps`` writes controls as ``\\uXXXX`` escapes already).

The one way around it is explicit: ``claworc-tui logs --raw`` writes log lines unchanged to
:func:`raw_stdout`, and only when stdout is not a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from claworc_tui.models.text import safe_text


class SafeStream:
    """A text stream that replaces control and bidi characters before writing."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(safe_text(text, multiline=True))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    def __getattr__(self, name: str) -> Any:  # encoding, errors, buffer, …
        return getattr(self.raw, name)


@contextmanager
def sanitized_streams() -> Iterator[None]:
    """Filter ``sys.stdout`` and ``sys.stderr`` until the block ends."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = SafeStream(out)
    sys.stderr = SafeStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def raw_stdout() -> TextIO:
    """The real stdout, behind the filter (for ``logs --raw`` only)."""
    stream = sys.stdout
    return stream.raw if isinstance(stream, SafeStream) else stream
