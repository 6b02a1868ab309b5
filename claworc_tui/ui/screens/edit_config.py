"""Editing an instance's ``clawdbot.json``: live JSON check, diff, confirm the restart, $EDITOR."""

from __future__ import annotations

import difflib
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea

from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.instance import Instance, InstanceStatus, validate_clawdbot_config
from claworc_tui.models.text import json_escape_controls
from claworc_tui.ui.context import UiContext
from claworc_tui.ui.messages import ServiceFailed
from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.text import fmt, plain, stacked, toast
from claworc_tui.ui.widgets.tones import TONE_CLASSES, toned


def json_problem(text: str) -> str | None:
    """None when ``text`` is empty or a JSON object, else the error with line and column."""
    try:
        validate_clawdbot_config(text)
    except ValueError as exc:
        return str(exc)
    return None


def diff_content(old: str, new: str) -> Content:
    """A unified diff of the saved and edited texts, in tones (the lines are text: a config may
    hold anything a JSON string can). Shown where ``TONE_CLASSES`` are listed."""
    lines = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), "saved", "edited", lineterm="", n=2
        )
    )
    if not lines:
        return toned("no changes", "hint")
    out = []
    for line in lines:
        if line.startswith(("+++", "---")):
            out.append(plain(line, "bold"))
        elif line.startswith("+"):
            out.append(toned(line, "ok"))
        elif line.startswith("-"):
            out.append(toned(line, "error"))
        elif line.startswith("@@"):
            out.append(toned(line, "accent"))
        else:
            out.append(plain(line))
    return stacked(*out)


class EditConfigModal(ModalScreen[bool]):
    """Edits one instance's config; dismisses True when saved."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save"),
        # Priority: the TextArea binds ctrl+d (delete right; the delete key still does) and
        # ctrl+e (line end; the end key still does) itself.
        Binding("ctrl+d", "toggle_diff", "Diff", priority=True),
        Binding("ctrl+e", "external_editor", "$EDITOR", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = set(TONE_CLASSES)

    def __init__(self, ctx: UiContext, instance: Instance) -> None:
        """Create the editor.

        Args:
            ctx: The service and environment.
            instance: The instance whose config is edited.
        """
        super().__init__()
        self._ctx = ctx
        self._instance = instance
        # Controls in the saved text are shown (and saved back) as JSON escapes: same meaning.
        self._saved = json_escape_controls(instance.clawdbot_config or "")
        # A stopped instance reads the file when it starts: saving restarts nothing.
        self._pod_running = instance.status is not InstanceStatus.STOPPED

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide", id="config-dialog"):
            yield Label(plain(f"clawdbot.json of {self._instance.name}"), classes="dialog-title")
            yield TextArea.code_editor(
                self._saved, language="json", id="config-text", soft_wrap=False
            )
            with VerticalScroll(id="config-diff"):
                yield Static("", id="config-diff-text")
            yield Static("", id="config-status")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Diff (ctrl+d)", id="diff")
                if self._pod_running:
                    yield Button("Save, no restart", id="save-only")
                label = "Save and restart" if self._pod_running else "Save"
                yield Button(f"{label} (ctrl+s)", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#config-diff").display = False
        self.query_one("#config-text", TextArea).focus()
        self._check()

    @property
    def text(self) -> str:
        """The edited text."""
        return self.query_one("#config-text", TextArea).text

    @on(TextArea.Changed, "#config-text")
    def _check(self) -> None:
        problem = json_problem(self.text)
        status = self.query_one("#config-status", Static)
        changed = self.text != self._saved
        if problem:
            status.update(toned(f"✖ {problem}", "error"))
        elif not changed:
            status.update(toned("no changes", "hint"))
        else:
            effect = (
                "saving restarts the pod"
                if self._pod_running
                else "the instance is stopped: it reads the file when started"
            )
            status.update(Content.assemble(toned("✓ valid JSON object", "ok"), f" — {effect}"))
        for button in self.query(".dialog-buttons Button").results(Button):
            if button.id in ("save", "save-only"):
                button.disabled = bool(problem) or not changed
        if self.query_one("#config-diff").display:
            self.query_one("#config-diff-text", Static).update(diff_content(self._saved, self.text))

    @on(Button.Pressed, "#diff")
    def action_toggle_diff(self) -> None:
        """Show or hide the diff against the saved version."""
        box = self.query_one("#config-diff")
        box.display = not box.display
        if box.display:
            self.query_one("#config-diff-text", Static).update(diff_content(self._saved, self.text))

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        """Confirm (the restart, for a running instance), then save."""
        self._save(restart=self._pod_running)

    @on(Button.Pressed, "#save-only")
    def _save_only(self) -> None:
        self._save(restart=False)

    def _save(self, *, restart: bool) -> None:
        if json_problem(self.text) or self.text == self._saved:
            self._check()
            return
        self.save(restart)

    @work(exclusive=True, group="config-save", exit_on_error=False)
    async def save(self, restart: bool) -> None:
        """Ask, then send the new config (the service restarts the pod when asked)."""
        name = self._instance.name
        if restart:
            effect = fmt(
                "Saving replaces the ConfigMap and [b]restarts the pod of $name[/b].", name=name
            )
        elif self._pod_running:
            effect = fmt(
                "Saving replaces the ConfigMap. The running pod of $name keeps the old "
                "file until it restarts.",
                name=name,
            )
        else:
            effect = fmt(
                "Saving replaces the ConfigMap. $name is stopped: it reads the file when started.",
                name=name,
            )
        body = stacked(diff_content(self._saved, self.text), Content(), effect)
        confirm = "Save and restart" if restart else "Save"
        if not await self.app.push_screen_wait(
            ConfirmModal(f"Save clawdbot.json of {name}?", body, confirm)
        ):
            return
        text = self.text if self.text.strip() else None
        try:
            await self._ctx.ops.update_config(name, text, restart=restart)
        except ClaworcError as exc:
            self.query_one("#config-status", Static).update(toned(f"✖ {exc}", "error"))
            self.post_message(ServiceFailed(f"save the config of {name}", exc))
            return
        after = "; the pod restarts" if restart else ""
        toast(self, f"saved clawdbot.json of {name}{after}", timeout=4)
        self.dismiss(True)

    def action_external_editor(self) -> None:
        """Edit in $VISUAL / $EDITOR (the app is suspended meanwhile)."""
        editor = self._ctx.environ.get("VISUAL") or self._ctx.environ.get("EDITOR") or "vi"
        fd, name = tempfile.mkstemp(prefix=f"{self._instance.name}-", suffix=".json")
        path = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(self.text)
            try:
                with self.app.suspend():
                    subprocess.run([*shlex.split(editor), str(path)], check=False)
            except SuspendNotSupported:
                self.notify("this terminal cannot hand over to an editor", severity="warning")
                return
            except OSError as exc:
                toast(self, f"could not run {editor}: {exc.strerror}", severity="error")
                return
            self.query_one("#config-text", TextArea).text = path.read_text(encoding="utf-8")
        finally:
            path.unlink(missing_ok=True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close; asks first when there are unsaved changes."""
        if self.text == self._saved:
            self.dismiss(False)
        else:
            self.confirm_discard()

    @work(exclusive=True, group="config-discard", exit_on_error=False)
    async def confirm_discard(self) -> None:
        """Ask before throwing edits away."""
        if await self.app.push_screen_wait(
            ConfirmModal("Discard your changes?", "The saved config stays as it was.", "Discard")
        ):
            self.dismiss(False)
