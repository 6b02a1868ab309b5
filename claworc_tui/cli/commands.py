"""Scripting subcommands (``ls``, ``create``, ``start`` …), filled in by the instance service."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add every subcommand to the ``sub`` parsers object."""
    del sub


async def run_command(args: argparse.Namespace) -> int:
    """Run the chosen subcommand; return its exit code."""
    raise SystemExit(f"unknown command {args.command}")
