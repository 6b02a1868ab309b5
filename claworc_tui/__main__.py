"""Command line: ``claworc-tui`` runs the TUI; subcommands script the same service."""

from __future__ import annotations

import sys

from claworc_tui.cli.main import main as _main


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``claworc-tui`` console script.

    Ctrl+C outside the full-screen app (a command, or before the first frame) ends with a
    message and exit code 130, never a traceback; what was open is closed on the way out.
    """
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("claworc-tui: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
