"""Every remedy the services can name is worded by both front ends, each for its user: the CLI
as a command its own parser takes (for the same database), the TUI as keys it binds.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
from textual.binding import Binding

from claworc_tui.cli import remedies as cli_remedies
from claworc_tui.cli.args import build_parser
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.remedy import Advice, Remedy
from claworc_tui.services.errors import OperationFailed
from claworc_tui.ui import remedies as ui_remedies
from claworc_tui.ui.screens.drift import DriftScreen
from claworc_tui.ui.screens.main import MainScreen

ADVICE = Advice(Remedy.REDEPLOY, "bot-x", "example.com/bot:1")


def cli_args(*argv: str) -> Any:
    return build_parser().parse_args(list(argv))


def keys_of(screen: type) -> set[str]:
    """Every key a screen binds, its action groups (mixins) included."""
    keys: set[str] = set()
    for cls in screen.__mro__:
        for binding in vars(cls).get("BINDINGS", []):
            key = binding.key if isinstance(binding, Binding) else binding[0]
            keys.update(k.strip() for k in key.split(","))
    return keys


@pytest.mark.parametrize("remedy", list(Remedy))
def test_the_cli_says_a_command_its_parser_takes_for_the_same_database(remedy: Remedy) -> None:
    args = cli_args("--db", "/tmp/some where/claworc.db", "rm", "bot-x")
    line = cli_remedies.advice_line(Advice(remedy, "bot-x", "example.com/bot:1"), args)
    typed = re.fullmatch(r"`([^`]+)` [a-z(].*\.", line)
    assert typed is not None, line
    words = shlex.split(typed.group(1))
    assert words[:3] == ["claworc-tui", "--db", "/tmp/some where/claworc.db"], words
    parsed = cli_args(*words[1:])  # exits (SystemExit) on a command that does not exist
    assert str(parsed.db) == "/tmp/some where/claworc.db"
    if remedy is not Remedy.WIDEN_PORTS:
        assert "bot-x" in words


def test_the_cli_words_the_remedies_of_an_error_after_it() -> None:
    args = cli_args("redeploy", "--image", "example.com/bot:2", "bot-x")
    failed = OperationFailed("bot-x", "redeploy", "rollout", "not ready", "It keeps bot:2.")
    line = cli_remedies.failure_line(failed.advising(ADVICE), args)
    assert line == (
        "claworc-tui: redeploy of bot-x failed at step 'rollout': not ready. It keeps bot:2. "
        "`claworc-tui redeploy --image example.com/bot:1 bot-x` goes back to the image it ran "
        "before."
    )
    refused = ValidationFailed("name", "bot-x's objects are not all owned by another database")
    line = cli_remedies.failure_line(
        refused.advising(Advice(Remedy.DELETE, "bot-x"), Advice(Remedy.FINISH_ADOPT, "bot-x")),
        cli_args("forget", "bot-x"),
    )
    assert line.endswith(
        "another database. `claworc-tui rm bot-x` deletes it instead. "
        "`claworc-tui adopt bot-x` finishes a half-done adopt."
    ), line


#: The keys each remedy's TUI wording names, and the screen that binds each.
UI_KEYS: dict[Remedy, list[tuple[type, str]]] = {
    Remedy.RETRY: [],
    Remedy.FORGET: [],  # the app has no forget: it says so, and what does
    Remedy.ADOPT: [(MainScreen, "d"), (DriftScreen, "a")],
    Remedy.FINISH_ADOPT: [(MainScreen, "d"), (DriftScreen, "a")],
    Remedy.DELETE: [(MainScreen, "D")],
    Remedy.REDEPLOY: [(MainScreen, "U")],
    Remedy.WIDEN_PORTS: [(MainScreen, "comma")],
    Remedy.OPEN_URL: [(MainScreen, "c"), (MainScreen, "t")],
}


@pytest.mark.parametrize("remedy", list(Remedy))
def test_the_tui_names_keys_it_binds_and_no_command_where_it_has_a_way(remedy: Remedy) -> None:
    line = ui_remedies.advice_line(Advice(remedy, "bot-x", "example.com/bot:1"))
    for screen, key in UI_KEYS[remedy]:
        assert key in keys_of(screen), (screen, key)
        shown = {"comma": ","}.get(key, key)
        assert re.search(rf"(^|[ (]){re.escape(shown)}[ ,.)]", line), (shown, line)
    if remedy is Remedy.FORGET:
        assert "The app cannot drop it" in line
    else:
        assert "claworc-tui" not in line


def test_the_tui_words_a_delete_retry_as_its_key_and_appends_remedies_to_the_message() -> None:
    failed = OperationFailed("bot-x", "delete", "objects", "boom", "Kept.", remedy=Remedy.RETRY)
    assert ui_remedies.advice_text(failed) == " Press D again to retry."
    refused = ValidationFailed("display_name", "bot-x runs elsewhere: choose another name")
    assert ui_remedies.said(refused.advising(Advice(Remedy.ADOPT, "bot-x"))) == (
        "bot-x runs elsewhere: choose another name. "
        "To adopt it here: d (Drift), select bot-x, then a."
    )
