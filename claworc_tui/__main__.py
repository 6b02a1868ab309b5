"""Command line: ``claworc-tui`` runs the TUI; subcommands script the same service."""

from __future__ import annotations

import gc
import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``claworc-tui`` console script.

    Ctrl+C outside the full-screen app (a command, or before the first frame) ends with a
    message and exit code 130, never a traceback; what was open is closed on the way out.
    """
    # Starting allocates ~170 000 long-lived objects (modules, pydantic models, widgets), and
    # the cyclic collector walked them again and again while they were made: ~10 % of the
    # import time (issue 17, launch). It is on again once they exist: after the TUI's first
    # frame (ClaworcApp freezes them), before a command runs (cli/main.py), and here at the end.
    gc.disable()
    try:
        from claworc_tui.cli.main import main as _main

        return _main(argv)
    except KeyboardInterrupt:
        print("claworc-tui: interrupted", file=sys.stderr)
        return 130
    finally:
        gc.enable()


if __name__ == "__main__":
    sys.exit(main())
