"""What the main screen's keys do: one worker per service call, confirmations first.

Lifecycle workers are deliberately *not* exclusive: an exclusive group would cancel a stop half
way through because the user pressed restart on another instance. The service refuses a second
operation on a busy instance (``OperationInProgress``) instead, and that refusal is reported like
any other failure. Loads (details, URLs, plans) are exclusive: only the newest answer matters.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from textual import on, work
from textual.content import Content

from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.instance import InstanceSpec
from claworc_tui.models.names import derive_name
from claworc_tui.models.wording import plural
from claworc_tui.services.views import Progress
from claworc_tui.ui.clipboard import copy_text
from claworc_tui.ui.messages import OperationDone, ServiceFailed
from claworc_tui.ui.screens.action_group import ActionGroup
from claworc_tui.ui.screens.confirm import ConfirmModal, DeleteModal
from claworc_tui.ui.screens.progress import BACK_TO_FORM, Outcome, ProgressModal
from claworc_tui.ui.text import fmt, plain, stacked, toast
from claworc_tui.ui.widgets.instance_detail import InstanceDetail
from claworc_tui.ui.widgets.instance_list import InstanceList

if TYPE_CHECKING:
    pass

OPS_GROUP = "instance-ops"
LOAD_GROUP = "instance-loads"
#: Lifecycle calls run at most this many at once in a bulk action.
BULK_CONCURRENCY = 8
_VERBS = {"start": "started", "stop": "stopped", "restart": "restarted"}


#: What a lifecycle verb does, said in the confirmation (Kubernetes, and the Docker backend).
_EFFECTS = {
    "start": "Each gets its pod back (replicas 1).",
    "stop": "Each pod is removed (replicas 0); the data on the PVCs stays.",
    "restart": "Each pod is replaced; the bot is interrupted meanwhile.",
}
_DOCKER_EFFECTS = {
    "start": "Each container is started again.",
    "stop": "Each container is stopped; it and its volumes (the data) stay.",
    "restart": "Each container is restarted; the bot is interrupted meanwhile.",
}


class InstanceActions(ActionGroup):
    """The main screen's instance actions: lifecycle, create and delete, config, advice, the
    clipboard, the other screens, and the command palette (see ``main_actions.py``)."""

    # -- lifecycle -----------------------------------------------------------------------------

    def action_start(self) -> None:
        """Start the marked instances, or the selected one."""
        self._lifecycle("start")

    def action_stop(self) -> None:
        """Stop the marked instances, or the selected one (after a confirmation)."""
        self._lifecycle("stop")

    def action_restart(self) -> None:
        """Restart the marked instances, or the selected one (after a confirmation)."""
        self._lifecycle("restart")

    def _lifecycle(self, verb: str) -> None:
        if self._refuse_if_read_only(verb):
            return
        names = self._targets()
        if not names:
            self._nothing_selected()
            return
        self.run_lifecycle(verb, names)

    @work(group=OPS_GROUP, exit_on_error=False)
    async def run_lifecycle(self, verb: str, names: list[str]) -> None:
        """Confirm (stop, restart, or more than one), then run ``verb`` on every name."""
        if verb != "start" or len(names) > 1:
            listed = [plain(f"  • {name}") for name in names[:30]]
            if len(names) > 30:
                listed.append(Content(f"  … and {len(names) - 30} more"))
            effect = (_DOCKER_EFFECTS if self.ctx.runtime == "docker" else _EFFECTS)[verb]
            what = names[0] if len(names) == 1 else plural(len(names), "instance")
            title = f"{verb.capitalize()} {what}?"
            if not await self.app.push_screen_wait(
                ConfirmModal(title, stacked(*listed, Content(), Content(effect)), verb.capitalize())
            ):
                return
        call: Callable[[str], Awaitable[None]] = getattr(self.ctx.ops, verb)
        gate = asyncio.Semaphore(BULK_CONCURRENCY)

        async def one(name: str) -> tuple[str, BaseException | None]:
            async with gate:
                try:
                    await call(name)
                except ClaworcError as exc:
                    return name, exc
            return name, None

        results = await asyncio.gather(*(one(name) for name in names))
        failed = [(name, exc) for name, exc in results if exc is not None]
        done = [name for name, exc in results if exc is None]
        if done:
            what = done[0] if len(done) == 1 else plural(len(done), "instance")
            toast(self, f"{_VERBS[verb]} {what}", timeout=3)
        if failed:
            if len(names) == 1:
                self.post_message(ServiceFailed(f"{verb} {names[0]}", failed[0][1]))
            else:
                summary = "\n".join(f"{name}: {exc}" for name, exc in failed[:10])
                self.post_message(
                    ServiceFailed(f"{verb} {len(failed)} of {len(names)}", ClaworcError(summary))
                )
        self.post_message(OperationDone(verb, tuple(names)))

    # -- create and delete ---------------------------------------------------------------------

    def action_new_instance(self) -> None:
        """Open the new instance form."""
        if not self._refuse_if_read_only("create an instance"):
            self._open_create_form(None)

    def _open_create_form(self, prefill: InstanceSpec | None) -> None:
        # Pushed right here, not from a worker: keys typed right after "n" then reach the form.
        def submitted(spec: InstanceSpec | None) -> None:
            if spec is not None:
                self.create_instance(spec)

        # The form (and TextArea, tree-sitter) is imported when first opened, not at start.
        from claworc_tui.ui.screens.create import CreateInstanceModal

        self.app.push_screen(CreateInstanceModal(self.ctx.ops, prefill=prefill), submitted)

    @work(exclusive=True, group=OPS_GROUP + "-create", exit_on_error=False)
    async def create_instance(self, spec: InstanceSpec) -> None:
        """Create ``spec`` step by step; on failure offer the form again, filled in."""
        outcome = await self.app.push_screen_wait(
            ProgressModal(
                f"Creating {spec.display_name}",
                self._creator(spec),
                after_failure=BACK_TO_FORM,
            )
        )
        self.post_message(OperationDone("create"))
        if outcome == Outcome.FAILED:
            self._open_create_form(spec)
        elif outcome == Outcome.DONE:
            # The new row arrives by the watch, maybe after this: select it when it does.
            self.query_one(InstanceList).select(derive_name(spec.display_name), when_listed=True)

    def _creator(self, spec: InstanceSpec) -> Callable[[], AsyncIterator[Progress]]:
        ops = self.ctx.ops
        return lambda: ops.create(spec)

    def action_delete(self) -> None:
        """Delete the selected instance, after a typed confirmation."""
        if self._refuse_if_read_only("delete"):
            return
        names = self._targets(single=True)
        if not names:
            self._nothing_selected()
            return
        self.delete_instance(names[0])

    @work(exclusive=True, group=OPS_GROUP + "-delete", exit_on_error=False)
    async def delete_instance(self, name: str) -> None:
        """Show what will be destroyed, require the typed name, then delete step by step."""
        try:
            plan = await self.ctx.ops.delete_plan(name)
        except ClaworcError as exc:
            self.post_message(ServiceFailed(f"plan the delete of {name}", exc))
            return
        if not await self.app.push_screen_wait(DeleteModal(name, plan)):
            return
        ops = self.ctx.ops
        await self.app.push_screen_wait(
            ProgressModal(f"Deleting {name}", lambda: ops.delete(name), cancellable=False)
        )
        self.post_message(OperationDone("delete", (name,)))

    # -- config --------------------------------------------------------------------------------

    def action_edit_config(self) -> None:
        """Edit the selected instance's clawdbot.json."""
        if self._refuse_if_read_only("edit the config"):
            return
        view = self.query_one(InstanceList).selected_view
        if view is None:
            self._nothing_selected()
            return
        from claworc_tui.ui.screens.edit_config import EditConfigModal

        def saved(changed: bool | None) -> None:
            if changed:
                self.post_message(OperationDone("config", (view.name,)))

        self.app.push_screen(EditConfigModal(self.ctx, view.instance), saved)

    # -- advice --------------------------------------------------------------------------------

    @on(InstanceDetail.AdviceChosen)
    def _advice_chosen(self, event: InstanceDetail.AdviceChosen) -> None:
        if not self._refuse_if_read_only(event.label):
            self.apply_advice(event.name, event.code, event.label)

    @work(group=OPS_GROUP, exit_on_error=False)
    async def apply_advice(self, name: str, code: str, label: str) -> None:
        """Confirm, then apply an advice's action."""
        if not await self.app.push_screen_wait(
            ConfirmModal(
                f"{label}?", fmt("Apply “$label” to $name.", label=label, name=name), "Apply"
            )
        ):
            return
        try:
            message = await self.ctx.ops.apply_advice(name, code)
        except ClaworcError as exc:
            self.post_message(ServiceFailed(f"{label} on {name}", exc))
            return
        toast(self, message, title=name)
        self.post_message(OperationDone(code, (name,)))

    # -- clipboard -----------------------------------------------------------------------------

    def action_copy_url(self, which: str) -> None:
        """Copy the selected instance's Chrome or terminal VNC URL."""
        names = self._targets(single=True)
        if not names:
            self._nothing_selected()
            return
        self.copy_url(names[0], which)

    @work(exclusive=True, group=LOAD_GROUP + "-copy", exit_on_error=False)
    async def copy_url(self, name: str, which: str) -> None:
        """Fetch the URL, copy it, and toast it (so it can be read and selected too)."""
        try:
            urls = await self.ctx.ops.urls(name)
        except ClaworcError as exc:
            self.post_message(ServiceFailed(f"get the URLs of {name}", exc))
            return
        url = urls.chrome if which == "chrome" else urls.terminal
        via = await copy_text(self.app, url, self.ctx.environ)
        label = "Chrome" if which == "chrome" else "Terminal"
        toast(self, url, title=f"{label} URL of {name} copied {via}", timeout=8)

    # -- other screens -------------------------------------------------------------------------

    def action_drift(self) -> None:
        """Open the drift view."""
        from claworc_tui.ui.screens.drift import DriftScreen

        self.app.push_screen(DriftScreen(self.ctx))

    def action_settings(self) -> None:
        """Open the settings screen."""
        from claworc_tui.ui.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen(self.ctx))

    def action_help(self) -> None:
        """Show every key (generated from the bindings)."""
        from claworc_tui.ui.screens.help import HelpModal

        self.app.push_screen(HelpModal.for_screen(self))

    # -- the command palette -------------------------------------------------------------------

    def run_for(self, name: str, action: str) -> None:
        """Select ``name`` and run ``action`` on that one instance (palette commands).

        Marks are ignored here: "restart bot-alpha" means bot-alpha, whatever else is marked.
        """
        listing = self.query_one(InstanceList)
        if not listing.select(name):
            listing.set_filter("")
            listing.select(name)
        if action in _VERBS:
            if not self._refuse_if_read_only(action):
                self.run_lifecycle(action, [name])
        elif action == "delete":
            if not self._refuse_if_read_only("delete"):
                self.delete_instance(name)
        elif action in ("chrome", "terminal"):
            self.copy_url(name, action)
        else:
            self.call_after_refresh(self.run_action, action)
