"""``N`` clone the selected instance and ``U`` redeploy (new image, or the same pulled again).

Clone opens the create form filled from the selected instance — a free suggested name ("Bot
Alpha copy") to accept or edit, its resources, sizes, config and key overrides (hidden), and a
note saying what is not copied (ports, data) — then runs create's step-by-step progress.
Redeploy asks for the image (the current one, kept, pulls the tag again), then shows its steps;
with marked rows it redeploys every marked instance, one progress row each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.image import image_problem
from claworc_tui.models.instance import InstanceSpec
from claworc_tui.models.names import derive_name
from claworc_tui.models.wording import plural
from claworc_tui.services.kube_only import not_on_docker
from claworc_tui.ui.messages import OperationDone, ServiceFailed
from claworc_tui.ui.screens.action_group import ActionGroup
from claworc_tui.ui.screens.progress import BACK_TO_FORM, Outcome, ProgressModal
from claworc_tui.ui.text import plain, toast
from claworc_tui.ui.widgets.field import Field
from claworc_tui.ui.widgets.form import FieldError
from claworc_tui.ui.widgets.instance_list import InstanceList

if TYPE_CHECKING:
    pass

FLEET_OPS_GROUP = "fleet-ops"


class RedeployModal(ModalScreen[str | None]):
    """Asks for the image of a redeploy; dismisses with it ("" keeps each one's), or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Redeploy", show=False),
    ]

    def __init__(self, names: Sequence[str], current: str | None) -> None:
        """Create the dialog.

        Args:
            names: The instances to redeploy.
            current: The image they run now (one instance), or None (several).
        """
        super().__init__()
        self._names = list(names)
        self._current = current

    def compose(self) -> ComposeResult:
        what = self._names[0] if len(self._names) == 1 else plural(len(self._names), "instance")
        with Vertical(classes="dialog", id="redeploy-dialog"):
            yield Label(plain(f"Redeploy {what}"), classes="dialog-title")
            if len(self._names) > 1:
                yield Static(plain(", ".join(self._names[:12])), classes="field-hint")
            yield Label("Image", classes="field-label")
            yield Field(
                self._current or "",
                placeholder="empty: each keeps its image, pulled again",
                id="redeploy-image",
                compact=True,
            )
            yield FieldError(id="redeploy-image-error", classes="field-error")
            yield Static(
                "The pod is replaced and the image pulled again (also for the same tag); the "
                "volumes, and so the data, stay. A new image is kept in the record.",
                classes="field-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="redeploy-cancel")
                yield Button("Redeploy (⏎)", id="redeploy-go", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#redeploy-image-error", FieldError).set(None)
        self.query_one("#redeploy-image", Input).focus()

    @on(Input.Changed, "#redeploy-image")
    def _edited(self) -> None:
        self.query_one("#redeploy-image-error", FieldError).set(None)

    @on(Input.Submitted, "#redeploy-image")
    @on(Button.Pressed, "#redeploy-go")
    def action_submit(self) -> None:
        """Check the reference; dismiss with it when valid."""
        image = self.query_one("#redeploy-image", Input).value.strip()
        if image:
            problem = image_problem(image)
            if problem is not None:
                error = f'"{image}" is not a valid image reference: {problem}'
                self.query_one("#redeploy-image-error", FieldError).set(error)
                return
        self.dismiss(image)

    @on(Button.Pressed, "#redeploy-cancel")
    def action_cancel(self) -> None:
        """Close without redeploying."""
        self.dismiss(None)


class FleetActions(ActionGroup):
    """The main screen's clone and redeploy keys (an action group; see ``main_actions.py``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("N", "clone", "Clone", show=False),
        Binding("U", "redeploy", "Redeploy", show=False),
    ]

    # -- clone ---------------------------------------------------------------------------------

    def action_clone(self) -> None:
        """Open the create form filled from the selected instance."""
        name = self.query_one(InstanceList).selected_name
        if self._refuse_if_read_only("clone"):
            return
        if name is None:
            self._nothing_selected()
            return
        self.clone_instance(name)

    @work(exclusive=True, group=FLEET_OPS_GROUP + "-clone", exit_on_error=False)
    async def clone_instance(self, source: str, prefill: InstanceSpec | None = None) -> None:
        """Ask for the clone's name (and edits), then create it step by step."""
        ops = self.ctx.ops
        try:
            spec = prefill or await ops.clone_spec(source)
            note = await ops.clone_note(source)
        except ClaworcError as exc:
            self.post_message(ServiceFailed(f"clone {source}", exc))
            return
        from claworc_tui.ui.screens.create import CreateInstanceModal  # imported on first use

        form = CreateInstanceModal(ops, prefill=spec, title=f"Clone {source}", note=note)
        chosen = await self.app.push_screen_wait(form)
        if chosen is None:
            return
        outcome = await self.app.push_screen_wait(
            ProgressModal(
                f"Cloning {source} as {chosen.display_name}",
                lambda: ops.clone(source, chosen),
                after_failure=BACK_TO_FORM,
            )
        )
        self.post_message(OperationDone("clone"))
        if outcome == Outcome.FAILED:
            self.clone_instance(source, chosen)
        elif outcome == Outcome.DONE:
            name = derive_name(chosen.display_name)
            self.query_one(InstanceList).select(name, when_listed=True)
            toast(self, f"{name}: new ports, empty volumes", title="Cloned", timeout=5)

    # -- redeploy ------------------------------------------------------------------------------

    def action_redeploy(self) -> None:
        """Redeploy the marked instances, or the selected one."""
        self._redeploy(self.query_one(InstanceList).targets())

    def action_redeploy_one(self) -> None:
        """Redeploy the selected instance only (the palette and ``:redeploy``: marks ignored)."""
        name = self.query_one(InstanceList).selected_name
        self._redeploy([name] if name else [])

    def _redeploy(self, names: list[str]) -> None:
        if self._refuse_if_read_only("redeploy"):
            return
        if self.ctx.runtime == "docker":  # refused before the image is asked for
            toast(self, str(not_on_docker("redeploy")), severity="warning", timeout=8)
            return
        if not names:
            self._nothing_selected()
            return
        self.redeploy_instances(names)

    @work(exclusive=True, group=FLEET_OPS_GROUP + "-redeploy", exit_on_error=False)
    async def redeploy_instances(self, names: list[str]) -> None:
        """Ask for the image, then redeploy step by step."""
        ops = self.ctx.ops
        current: str | None = None
        if len(names) == 1:
            try:
                instance = next(
                    (v.instance for v in await ops.list_views() if v.name == names[0]), None
                )
                settings = await ops.get_settings()
            except ClaworcError as exc:
                self.post_message(ServiceFailed(f"redeploy {names[0]}", exc))
                return
            current = (instance.image if instance else None) or settings.image
        image = await self.app.push_screen_wait(RedeployModal(names, current))
        if image is None:
            return
        chosen = None if not image or image == current else image
        what = names[0] if len(names) == 1 else plural(len(names), "instance")
        await self.app.push_screen_wait(
            ProgressModal(
                f"Redeploying {what}",
                lambda: ops.redeploy(names, chosen),
                cancelled="Stopped waiting; the rollout goes on in the cluster.",
            )
        )
        self.post_message(OperationDone("redeploy", tuple(names)))
