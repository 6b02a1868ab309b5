"""The main screen's actions are where ``main_actions.py`` (the registry) says they are.

Every key of the main screen runs an action defined exactly once among the screen and the
action groups of ``ACTION_GROUPS`` (no group overrides another's, none is forgotten), and
every write action is one of them.
"""

from __future__ import annotations

from textual.binding import Binding

from claworc_tui.ui.screens.action_group import ActionGroup
from claworc_tui.ui.screens.main import MainScreen
from claworc_tui.ui.screens.main_actions import ACTION_GROUPS, WRITE_ACTIONS, MainActions

#: Where an action may be defined: the screen itself and its action groups.
OWNERS: tuple[type, ...] = (MainScreen, *ACTION_GROUPS)


def action_name(binding: Binding) -> str:
    """``copy_url('chrome')`` → ``copy_url``."""
    return binding.action.split("(", 1)[0]


def owners_of(action: str) -> list[str]:
    """The classes among OWNERS that define ``action_<action>`` themselves."""
    return [owner.__name__ for owner in OWNERS if f"action_{action}" in vars(owner)]


def main_screen_actions() -> set[str]:
    """The action of every key bound on the main screen (its own and its groups' bindings)."""
    bindings = [
        binding
        for owner in OWNERS
        for binding in Binding.make_bindings(vars(owner).get("BINDINGS", []))
    ]
    return {action_name(binding) for binding in bindings}


def test_every_key_runs_an_action_defined_once() -> None:
    actions = main_screen_actions()
    assert {"start", "clone", "shell", "command_mode", "toggle_logs", "filter"} <= actions
    for action in sorted(actions):
        assert len(owners_of(action)) == 1, f"{action}: defined in {owners_of(action)}"


def test_every_write_action_is_a_group_action() -> None:
    # (apply_advice is run by the detail pane's buttons through its worker, not by a key.)
    for action in sorted(WRITE_ACTIONS):
        owners = owners_of(action) or [o.__name__ for o in OWNERS if action in vars(o)]
        assert len(owners) == 1, f"{action}: defined in {owners}"


def test_the_registry_lists_every_group_the_screen_is_built_from() -> None:
    groups = {cls for cls in MainScreen.__mro__ if issubclass(cls, ActionGroup)}
    listed = {ActionGroup, MainActions, MainScreen, *ACTION_GROUPS}
    assert groups == listed
