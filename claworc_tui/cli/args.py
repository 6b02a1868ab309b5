"""Argument parsing for ``claworc-tui`` and its scripting subcommands.

Precedence is flag > ``CLAWORC_*`` environment > default: only flags the user actually gave are
passed to :class:`Settings`, whose init arguments outrank its environment source.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from claworc_tui import __version__
from claworc_tui.config import LogLevel, Settings

EPILOG = """\
environment:
  CLAWORC_DB, CLAWORC_KUBECONFIG, CLAWORC_CONTEXT, CLAWORC_NAMESPACE, CLAWORC_READ_ONLY,
  CLAWORC_RUNTIME, CLAWORC_DOCKER_BIND_ADDRESS, CLAWORC_DOCKER_NETWORK, DOCKER_HOST,
  CLAWORC_LOG_LEVEL, CLAWORC_FERNET_KEY (the key that seals API keys), KUBECONFIG,
  CLAWORC_EXPORT_PASSPHRASE (seals/opens the keys of export --with-keys and import).
  A flag beats its variable; a variable beats the default.

exit codes (subcommands): 0 ok, 1 the operation failed, 2 bad input,
  3 repair --dry-run found drift (as diff(1) does: usable in monitoring).
"""


def build_parser() -> argparse.ArgumentParser:
    """The parser for the TUI and every subcommand."""
    parser = argparse.ArgumentParser(
        prog="claworc-tui",
        description="Run a fleet of OpenClaw bot instances on Kubernetes from the terminal. "
        "Without a subcommand, the full-screen app starts.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"claworc-tui {__version__}")
    add_global_flags(parser, top=True)
    parser.add_argument(
        "--demo",
        action="store_true",
        default=None,
        help="run the full-screen app against a built-in emulated cluster with sample "
        "instances (nothing real is touched; data in a temporary folder; not for subcommands)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from claworc_tui.cli.commands import register

    register(sub)
    return parser


def add_global_flags(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """Flags every command shares, accepted before and after the subcommand.

    The top-level parser defaults them to None; a subcommand's copy has no default at all
    (``SUPPRESS``), so an option given before the subcommand is not overwritten by the
    subparser's default — argparse copies every subparser default over the parsed namespace.
    """
    default: Any = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--db", type=Path, metavar="PATH", default=default, help="SQLite database file"
    )
    parser.add_argument(
        "--kubeconfig", type=Path, metavar="PATH", default=default, help="kubeconfig file"
    )
    parser.add_argument("--context", metavar="NAME", default=default, help="kubeconfig context")
    parser.add_argument(
        "--namespace", "-n", metavar="NS", default=default, help="namespace (default claworc)"
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=default,
        help="never change anything; actions that would are disabled",
    )
    parser.add_argument(
        "--runtime",
        choices=["kubernetes", "docker"],
        default=default,
        help="what runs the instances (default: in a pod or with a kubeconfig, kubernetes; "
        "else the Docker engine at DOCKER_HOST or /var/run/docker.sock)",
    )
    parser.add_argument(
        "--log-level",
        choices=[level.value for level in LogLevel],
        type=str.upper,
        default=default,
        help="level of the log file (default INFO)",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings with the given flags on top of environment and defaults."""
    given: dict[str, Any] = {}
    flags = (
        "db",
        "kubeconfig",
        "context",
        "namespace",
        "read_only",
        "runtime",
        "log_level",
        "demo",
    )
    for flag in flags:
        value = getattr(args, flag, None)
        if value is not None:
            given[flag] = value
    return Settings(**given)
