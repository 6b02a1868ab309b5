"""``claworc-tui``: parse flags, then run the TUI or a scripting subcommand."""

from __future__ import annotations

import asyncio
import gc
import sys

from pydantic import ValidationError

from claworc_tui.cli.args import build_parser, settings_from_args
from claworc_tui.cli.checks import check_args
from claworc_tui.cli.output import sanitized_streams
from claworc_tui.config import Settings
from claworc_tui.logging_setup import log_to_stderr, setup_logging
from claworc_tui.models.errors import ValidationFailed, from_pydantic

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run; return the process exit code."""
    # Until the TUI takes over the terminal, everything printed (usage errors quoting argv,
    # validation messages, every subcommand's output) passes through the filter.
    with sanitized_streams():
        parser = build_parser()
        args = parser.parse_args(argv)
        try:
            if args.command:
                check_args(args)  # bad input is refused before anything is opened
            settings = settings_from_args(args)
        except ValidationFailed as exc:
            print(f"claworc-tui: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except ValidationError as exc:
            print(f"claworc-tui: {from_pydantic(exc)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if args.command and settings.demo:
            # Each command is its own process: a demo cluster would start empty and vanish.
            print(
                f"claworc-tui: --demo is for the full-screen app (claworc-tui --demo), "
                f"not for {args.command}",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        if args.command:
            gc.enable()  # off while starting (see __main__); a command may run for long
            from claworc_tui.cli.registry import reads_only, run_command

            if reads_only(args):
                # A command that only reads writes nothing anywhere, not even the log file (nor
                # its folder): its warnings go to stderr; only a bug's traceback is logged.
                log_to_stderr(settings.log_file, settings.log_level.value)
            elif not _start_logging(settings):
                return EXIT_FAILED

            return asyncio.run(run_command(args, settings))
    from claworc_tui.app import run_app

    if not settings.demo:
        if not _start_logging(settings):
            return EXIT_FAILED
        return int(run_app(settings))
    from claworc_tui.demo import DemoCluster

    demo = DemoCluster()
    try:
        demo_settings = demo.start(settings)
        if not _start_logging(demo_settings):
            return EXIT_FAILED
        return int(run_app(demo_settings))
    finally:
        demo.stop()


def _start_logging(settings: Settings) -> bool:
    """Open the log file; on failure say so in one line and return False.

    A state folder that cannot be created (``$XDG_STATE_HOME`` under a file, a read-only
    folder) is the environment refusing, as a database folder that cannot be created is:
    exit 1, "the operation failed" (2 is kept for bad arguments).
    """
    try:
        setup_logging(settings.log_file, settings.log_level.value)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(
            f"claworc-tui: cannot write the log file {settings.log_file}: {reason} "
            f"(at {exc.filename or settings.state_dir}; the folder comes from $XDG_STATE_HOME, "
            "default ~/.local/state): point it at a folder you can write",
            file=sys.stderr,
        )
        return False
    return True
