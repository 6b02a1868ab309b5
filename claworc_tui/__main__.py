"""Command line: ``claworc-tui`` runs the TUI; subcommands script the same service."""

from __future__ import annotations

import sys

from claworc_tui.cli.main import main as _main


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``claworc-tui`` console script."""
    return _main(argv)


if __name__ == "__main__":
    sys.exit(main())
