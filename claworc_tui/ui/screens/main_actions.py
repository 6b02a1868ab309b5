"""The registry of the main screen's actions: every key on the main screen runs an action of
one of the groups below, or of the screen itself. Look here first.

==============================  ===========================================================
group (module)                  keys → actions
==============================  ===========================================================
``MainScreen`` (``main.py``)    / filter, esc back — the screen's own filter field
``PaneActions`` (``panes.py``)  enter open_detail, l toggle_logs, a toggle_activity; what
                                the detail, log and activity panes show
``InstanceActions``             n new_instance, s start, x stop, r restart, D delete,
(``actions.py``)                e edit_config, c/t copy_url, d drift, comma settings, ? help;
                                the detail pane's advice buttons (apply_advice); the command
                                palette (``run_for``)
``FleetActions``                N clone, U redeploy (redeploy_one for the palette and ``:``)
(``fleet_actions.py``)
``ReachActions`` (``reach.py``) S shell, F forward, y yaml, E events, C copy_menu
``CommandMode``                 : command_mode (the ``:`` line)
(``command_line.py``)
==============================  ===========================================================

The keys themselves are declared in ``MainScreen.BINDINGS`` for the screen, ``PaneActions`` and
``InstanceActions``, and in each other group's ``BINDINGS``; ``?`` and the README's key table
are generated from them (``help.main_sections``).

**A new action** goes into the group it belongs to (a lifecycle or config change of the
selected instance: ``InstanceActions``), as ``action_verb_noun`` plus, if it calls a service,
one ``@work`` worker; its key goes into that group's (or ``MainScreen``'s) ``BINDINGS``; if it
changes anything, its name goes into :data:`WRITE_ACTIONS` (refused in read-only mode). A new
kind of action gets a new :class:`~claworc_tui.ui.screens.action_group.ActionGroup` module,
listed here and in :data:`ACTION_GROUPS`. ``tests/ui/test_action_registry.py`` checks that every
key's action is defined exactly once among them.
"""

from __future__ import annotations

from claworc_tui.ui.screens.action_group import ActionGroup
from claworc_tui.ui.screens.actions import InstanceActions
from claworc_tui.ui.screens.command_line import CommandMode
from claworc_tui.ui.screens.fleet_actions import FleetActions
from claworc_tui.ui.screens.panes import PaneActions
from claworc_tui.ui.screens.reach import ReachActions

#: Every action group of the main screen, in the order they are mixed in.
ACTION_GROUPS: tuple[type[ActionGroup], ...] = (
    PaneActions,
    CommandMode,
    ReachActions,
    FleetActions,
    InstanceActions,
)

#: Actions that change something: disabled (with the reason) in read-only mode.
WRITE_ACTIONS = frozenset(
    {"new_instance", "start", "stop", "restart", "delete", "edit_config", "apply_advice"}
    | {"clone", "redeploy", "redeploy_one"}
)


class MainActions(PaneActions, CommandMode, ReachActions, FleetActions, InstanceActions):
    """Every action group of :data:`ACTION_GROUPS`, for ``MainScreen`` to build on."""
