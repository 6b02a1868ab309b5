"""The table of subcommands and the one place they run: open the services, call the handler,
turn what it raises into an exit code, close.

Exit codes: 0 ok, 1 the operation failed, 2 bad input, 3 ``repair --dry-run`` found drift.
Each module under ``cli/`` adds its subcommands' parsers and registers its handlers with
:func:`command`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from claworc_tui.cli.checks import check_args
from claworc_tui.cli.remedies import failure_line
from claworc_tui.config import Settings
from claworc_tui.k8s.kubeconfig import check_kubeconfig
from claworc_tui.models.errors import ClaworcError, InstanceNotFound, ValidationFailed
from claworc_tui.services.kube_only import INSTEAD, not_on_docker
from claworc_tui.services.runtime import RuntimeKind, choose_runtime

if TYPE_CHECKING:
    from claworc_tui.services import Services

log = logging.getLogger(__name__)
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
#: ``repair --dry-run`` found differences (kept apart from 1, "the check itself failed").
EXIT_DRIFT = 3
Handler = Callable[["Services", argparse.Namespace], Coroutine[Any, Any, int]]
Add = Callable[[str, str], argparse.ArgumentParser]
"""``add(name, help)``: a subcommand's parser, with the global flags (see ``commands.register``)."""
HANDLERS: dict[str, Handler] = {}
DOCKER = RuntimeKind.DOCKER


def command(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated coroutine as the handler of subcommand ``name``."""

    def register(handler: Handler) -> Handler:
        HANDLERS[name] = handler
        return handler

    return register


def reads_only(args: argparse.Namespace) -> bool:
    """True for the commands that only read: they change nothing, in the database or cluster."""
    if args.command in ("ls", "url", "logs", "export"):
        return True
    if args.command == "settings":
        return bool(args.action == "get")
    return bool(args.command in ("repair", "adopt") and args.dry_run)


async def run_command(args: argparse.Namespace, config: Settings) -> int:
    """Open the services, run the chosen subcommand, close; return its exit code.

    Commands that only read open everything read-only and skip the start-up sweep; the others
    run the sweep and say on stderr what it finished.
    """
    try:
        check_args(args)  # done by main already; here for callers that start at run_command
    except ValidationFailed as exc:
        print(f"claworc-tui: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    runtime = choose_runtime(config.runtime, config.kubeconfig)
    if args.command in INSTEAD and runtime is DOCKER:
        refusal = not_on_docker(args.command, getattr(args, "name", None))
        print(failure_line(refusal, args), file=sys.stderr)
        return EXIT_BAD_INPUT  # refused before the engine or the database is opened
    try:
        if runtime is not DOCKER:
            # A kubeconfig file that is not there says so ("No such file or directory"), as
            # the full-screen app says it, not what the client's loader makes of no file.
            check_kubeconfig(config.kubeconfig)
        # Imported here, not at the top: building the parser (which the full-screen app does
        # too) must not load the Kubernetes client and aiohttp (~110 ms of the launch).
        from claworc_tui.services import open_services

        services = await open_services(config, reads_only=reads_only(args))
    except ClaworcError as exc:
        print(f"claworc-tui: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for line in services.store.warnings:
        print(f"claworc-tui: warning: {line}", file=sys.stderr)
    for line in services.swept:
        print(f"claworc-tui: start-up sweep: {line}", file=sys.stderr)
    try:
        return await HANDLERS[args.command](services, args)
    except (ValidationFailed, InstanceNotFound) as exc:
        print(failure_line(exc, args), file=sys.stderr)
        return EXIT_BAD_INPUT
    except ClaworcError as exc:  # with the remedy it carries (rm: retry, or forget; …)
        print(failure_line(exc, args), file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # a bug: say where the details are, never dump a traceback
        log.exception("%s failed", args.command)
        print(
            f"claworc-tui: internal error in {args.command}: {type(exc).__name__} "
            f"(details in {config.log_file})",
            file=sys.stderr,
        )
        return EXIT_FAILED
    finally:
        await services.aclose()
