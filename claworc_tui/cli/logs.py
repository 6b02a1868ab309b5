"""``claworc-tui logs NAME [-f] [--tail N] [--previous] [--timestamps] [--raw]``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from claworc_tui.cli.output import raw_stdout
from claworc_tui.cli.registry import EXIT_FAILED, EXIT_OK, Add, command
from claworc_tui.services.views import LogBatch, LogOptions, LogStreamState

if TYPE_CHECKING:
    from claworc_tui.services import Services


def register_logs(add: Add) -> None:
    """Add ``logs`` through the ``add(name, help)`` of ``commands.register``."""
    logs = add("logs", "print an instance's logs")
    logs.add_argument("name", metavar="NAME")
    logs.add_argument("-f", "--follow", action="store_true")
    logs.add_argument("--tail", type=int, default=200, metavar="N")
    logs.add_argument("--previous", action="store_true", help="the previous container's logs")
    logs.add_argument(
        "--raw",
        action="store_true",
        help="write the lines exactly as the pod wrote them, control characters included "
        "(refused when stdout is a terminal; by default they are replaced with U+FFFD)",
    )
    logs.add_argument("--timestamps", action="store_true", help="prefix each line with its time")


@command("logs")
async def _logs(services: Services, args: argparse.Namespace) -> int:
    """Print the lines asked for and exit (``-f``: follow across restarts until interrupted)."""
    out = raw_stdout() if args.raw else sys.stdout  # --tail and a --raw terminal: cli.checks
    options = LogOptions(tail_lines=args.tail, previous=args.previous, follow=args.follow)
    async for event in services.instances.follow_logs(args.name, options):
        if isinstance(event, LogBatch):
            if event.dropped:
                print(f"… {event.dropped} lines dropped …", file=sys.stderr)
            text = [line.stamped if args.timestamps else line.text for line in event.lines]
            if text:
                print("\n".join(text), file=out)
            out.flush()
        elif event.state is LogStreamState.FAILED:
            print(f"claworc-tui: log stream failed: {event.detail}", file=sys.stderr)
            return EXIT_FAILED
        elif event.detail and event.state is not LogStreamState.LIVE:
            print(f"claworc-tui: {event.state.value}: {event.detail}", file=sys.stderr)
    return EXIT_OK
