"""Global options work before and after the subcommand, for every option and every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from claworc_tui.cli.args import build_parser, settings_from_args
from claworc_tui.config import Settings

# (flag, value given, attribute of Settings, expected value)
OPTIONS: list[tuple[list[str], str, object]] = [
    (["--db", "/elsewhere/x.db"], "db", Path("/elsewhere/x.db")),
    (["--kubeconfig", "/elsewhere/kc"], "kubeconfig", Path("/elsewhere/kc")),
    (["--context", "staging"], "context", "staging"),
    (["--namespace", "staging"], "namespace", "staging"),
    (["-n", "staging"], "namespace", "staging"),
    (["--read-only"], "read_only", True),
    (["--log-level", "debug"], "log_level", "DEBUG"),
]
# Each subcommand with the arguments it needs.
COMMANDS: list[list[str]] = [
    ["ls"],
    ["create", "Bot"],
    ["start", "bot-x"],
    ["stop", "bot-x"],
    ["restart", "bot-x"],
    ["rm", "bot-x", "--yes"],
    ["url", "bot-x"],
    ["logs", "bot-x"],
    ["settings", "get"],
    ["repair", "--dry-run"],
    ["clone", "bot-x", "Bot Y"],
    ["redeploy", "bot-x", "bot-y", "--image", "nginx:1"],
    ["export"],
    ["export", "bot-x", "--with-keys"],
    ["import", "fleet.json"],
]


def _parsed(argv: list[str]) -> Settings:
    return settings_from_args(build_parser().parse_args(argv))


@pytest.mark.parametrize("position", ["before", "after"])
@pytest.mark.parametrize(("flag", "attribute", "expected"), OPTIONS, ids=lambda v: str(v))
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_option_in_either_position(
    command: list[str], flag: list[str], attribute: str, expected: object, position: str
) -> None:
    argv = [*flag, *command] if position == "before" else [*command, *flag]
    assert getattr(_parsed(argv), attribute) == expected, argv


def test_after_beats_before_and_both_combine() -> None:
    got = _parsed(["--context", "a", "--namespace", "one", "rm", "bot-x", "--context", "b"])
    assert (got.context, got.namespace) == ("b", "one")


def test_the_reported_command_keeps_every_option() -> None:
    got = _parsed(
        ["--context", "staging", "--namespace", "staging", "--read-only", "rm", "bot-x", "--yes"]
    )
    assert (got.context, got.namespace, got.read_only) == ("staging", "staging", True)
