"""Step-by-step progress of a long operation (create, delete), cancellable where it can be.

The modal owns the worker that consumes the service's progress stream. Cancelling cancels that
worker's task; the service rolls back inside the generator while the task unwinds, so the modal
stays open ("rolling back…") until the worker has really finished, and only then says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static
from textual.worker import Worker, WorkerState

from claworc_tui.models.errors import ClaworcError
from claworc_tui.services.errors import OperationFailed
from claworc_tui.services.views import Progress, StepState
from claworc_tui.ui.remedies import advice_text, said
from claworc_tui.ui.text import plain, stacked
from claworc_tui.ui.widgets.tones import TONE_CLASSES, toned

_GLYPH: dict[StepState, Content] = {
    StepState.RUNNING: toned("◐", "busy"),
    StepState.DONE: toned("✓", "ok"),
    StepState.FAILED: toned("✖", "error"),
    StepState.ROLLED_BACK: toned("↶", "warn"),
}


class Outcome:
    """How the operation ended."""

    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: Said under a failed create or clone, whose Close opens its form again (filled in).
BACK_TO_FORM = "Close goes back to the form, filled in; escape there leaves it."


class ProgressModal(ModalScreen[str]):
    """Runs one multi-step operation and shows each step; dismisses with an ``Outcome``."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel / close")]
    COMPONENT_CLASSES: ClassVar[set[str]] = set(TONE_CLASSES)

    def __init__(
        self,
        title: str,
        steps: Callable[[], AsyncIterator[Progress]],
        *,
        cancellable: bool = True,
        cancelled: str = "What had been created was rolled back.",
        after_failure: str | None = None,
    ) -> None:
        """Create the modal.

        Args:
            title: What is happening (``Creating bot-alpha``).
            steps: Starts the operation and yields its progress.
            cancellable: Whether Cancel may interrupt it (the service then rolls back).
            cancelled: What a cancel leaves behind, said after it.
            after_failure: Where Close leads after a failure, said under it (a failed create
                goes back to its form, so "d (Drift)" in the advice would be typed into it).
        """
        super().__init__()
        self._cancelled = cancelled
        self._after_failure = after_failure
        self._title = title
        self._steps = steps
        self._cancellable = cancellable
        self._rows: dict[int, Progress] = {}
        self._outcome: str | None = None
        self._worker: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="progress-dialog"):
            yield Label(plain(self._title), classes="dialog-title")
            yield Static("starting…", id="progress-steps")
            yield Static("", id="progress-result")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    "Cancel" if self._cancellable else "Close",
                    id="progress-button",
                    disabled=not self._cancellable,
                )

    def on_mount(self) -> None:
        self._worker = self.run_steps()

    @property
    def outcome(self) -> str | None:
        """The outcome once finished."""
        return self._outcome

    @work(exclusive=True, group="progress", exit_on_error=False)
    async def run_steps(self) -> None:
        """Consume the progress stream."""
        try:
            async for progress in self._steps():
                self._rows[progress.index] = progress
                self._show_steps()
        except OperationFailed as exc:
            self._finish(
                Outcome.FAILED,
                Content.assemble(
                    toned(f"Failed at step “{exc.step}”:", "error", bold=True),
                    " ",
                    plain(exc.reason, multiline=True),
                    "\n",
                    plain(exc.cleanup + advice_text(exc), multiline=True),
                ),
            )
            return
        except ClaworcError as exc:
            self._finish(Outcome.FAILED, _failed(exc))
            return
        self._finish(Outcome.DONE, toned("Done.", "ok", bold=True))
        # Success closes by itself: the list shows the result, and a "Done." left open
        # swallowed the next keys. A failure stays open to be read.
        self.dismiss(Outcome.DONE)

    def _show_steps(self) -> None:
        rows = []
        for index in sorted(self._rows):
            row = self._rows[index]
            # The glyph is our markup; the step may quote outside text (a name): plain.
            line = Content.assemble(
                _GLYPH[row.state],
                plain(f" {row.index}/{row.total} {row.step}"),
            )
            if row.detail:
                line = Content.assemble(line, "  ", toned(row.detail, "hint"))
            rows.append(line)
        self.query_one("#progress-steps", Static).update(
            stacked(*rows) if rows else Content("starting…")
        )

    def _finish(self, outcome: str, message: Content) -> None:
        self._outcome = outcome
        if outcome == Outcome.FAILED:
            # The service reports a step when it starts and when it is done; the one that
            # failed was left "running" (◐), as if it were still going on beside "Failed".
            for index, row in self._rows.items():
                if row.state is StepState.RUNNING:
                    self._rows[index] = row.model_copy(update={"state": StepState.FAILED})
            self._show_steps()
            # Refused before its first step (a name owned elsewhere): no "starting…" left
            # above "Failed".
            self.query_one("#progress-steps", Static).display = bool(self._rows)
        if outcome == Outcome.FAILED and self._after_failure:
            message = Content.assemble(message, "\n\n", toned(self._after_failure, "hint"))
        self.query_one("#progress-result", Static).update(message)
        button = self.query_one("#progress-button", Button)
        button.label = "Close"
        button.disabled = False
        button.focus()
        self.set_class(outcome == Outcome.FAILED, "-failed")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker:
            return
        if event.state == WorkerState.CANCELLED:
            self._finish(
                Outcome.CANCELLED,
                Content.assemble(
                    toned("Cancelled.", "warn", bold=True), " ", plain(self._cancelled)
                ),
            )
        elif event.state == WorkerState.ERROR and self._outcome is None:
            error = event.worker.error
            self._finish(Outcome.FAILED, _failed(error))

    @on(Button.Pressed, "#progress-button")
    def action_cancel(self) -> None:
        """Cancel while running (the service rolls back), or close when finished."""
        if self._outcome is not None:
            self.dismiss(self._outcome)
            return
        if not self._cancellable or self._worker is None:
            return
        button = self.query_one("#progress-button", Button)
        button.disabled = True
        rolls_back = "rolled back" in self._cancelled
        button.label = "Rolling back…" if rolls_back else "Cancelling…"
        self.query_one("#progress-result", Static).update(
            "Cancelling — rolling back…" if rolls_back else "Cancelling…"
        )
        self._worker.cancel()


def _failed(error: BaseException | None) -> Content:
    shown = error if error is None else said(error)  # with what to do about it
    return Content.assemble(toned("Failed:", "error", bold=True), " ", plain(shown, multiline=True))
