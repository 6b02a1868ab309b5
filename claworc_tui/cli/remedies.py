"""The remedies the services name (:mod:`claworc_tui.models.remedy`), worded for the CLI: the
command to type, with the global options this run was given (so it talks to the same database,
cluster and namespace). The TUI words the same remedies as keys (``ui/remedies.py``).
"""

from __future__ import annotations

import argparse
import shlex

from claworc_tui.models.remedy import Advice, Remedy

#: Global options repeated in a suggested command (``--read-only`` and ``--log-level`` are
#: left out: they do not change where the instance is).
_WHERE = ("db", "kubeconfig", "context", "namespace")

#: Each remedy as the command that does it (``{name}``, ``{image}``, ``{command}`` filled in)
#: and what the command does.
_SAID: dict[Remedy, tuple[str, str]] = {
    Remedy.RETRY: ("{command} {name}", "retries it"),
    Remedy.FORGET: (
        "forget {name}",
        "drops this record (another claworc database owns its objects now)",
    ),
    Remedy.ADOPT: ("adopt {name}", "adopts it here"),
    Remedy.FINISH_ADOPT: ("adopt {name}", "finishes a half-done adopt"),
    Remedy.DELETE: ("rm {name}", "deletes it instead"),
    Remedy.REDEPLOY: ("redeploy --image {image} {name}", "goes back to the image it ran before"),
    Remedy.WIDEN_PORTS: (
        "settings set port_range_start N",
        "(or port_range_end N) widens the NodePort range",
    ),
    Remedy.OPEN_URL: ("url {name}", "prints its address"),
}


def command_line(args: argparse.Namespace, *words: str) -> str:
    """``claworc-tui WORDS…`` for this run's database, cluster and namespace."""
    line = ["claworc-tui"]
    for flag in _WHERE:
        value = getattr(args, flag, None)
        if value is not None:
            line += [f"--{flag}", str(value)]
    return shlex.join([*line, *words])


def advice_line(advice: Advice, args: argparse.Namespace) -> str:
    """One remedy as a sentence: the command in backquotes, then what it does."""
    template, does = _SAID[advice.remedy]
    fields = {
        "name": advice.name or "NAME",
        "image": advice.image or "IMAGE",
        "command": str(getattr(args, "command", None) or "COMMAND"),
    }
    words = [word.format(**fields) for word in template.split()]
    return f"`{command_line(args, *words)}` {does}."


def failure_line(error: BaseException, args: argparse.Namespace) -> str:
    """``claworc-tui: ERROR`` with the remedies it carries, as the CLI prints a failure."""
    advice = getattr(error, "advice", ())
    said = str(error)
    if advice and not said.endswith("."):
        said += "."
    return " ".join([f"claworc-tui: {said}", *(advice_line(a, args) for a in advice)])
