"""The new instance form: live name and port preview, inline errors, nothing sent until valid."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from pydantic import SecretStr, ValidationError
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from claworc_tui.models.errors import ClaworcError, ValidationFailed, from_pydantic
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import (
    STORAGE_ROLES,
    InstanceSpec,
    Provider,
    Resources,
    Storage,
    validate_clawdbot_config,
)
from claworc_tui.models.names import derive_name
from claworc_tui.services.instances import InstanceService
from claworc_tui.ui.format import with_labels
from claworc_tui.ui.messages import ServiceFailed
from claworc_tui.ui.text import fmt, plain
from claworc_tui.ui.widgets.field import Field
from claworc_tui.ui.widgets.form import (
    FIELD_FOCUS_BINDINGS,
    RESOURCE_FIELDS,
    FieldError,
    field_row,
)
from claworc_tui.ui.widgets.tones import TONE_CLASSES, toned

PREVIEW_GROUP = "preview"
_RESOURCE_LABELS = {
    "cpu_request": "CPU request",
    "cpu_limit": "CPU limit",
    "memory_request": "Memory request",
    "memory_limit": "Memory limit",
}
#: Field names as the form labels them, for messages that name fields (``cpu_limit`` → ``CPU
#: limit``): the user never sees the model's names.
_LABELS = {
    "display_name": "Display name",
    "api_keys": "API keys",
    "clawdbot_config": "clawdbot.json",
    **_RESOURCE_LABELS,
}
_STORAGE_LABELS = {role: f"PVC {role}" for role in STORAGE_ROLES}


def pydantic_message(exc: ValidationError) -> str:
    """The first error of a pydantic validation, as a sentence for the user."""
    return from_pydantic(exc).message


class CreateInstanceModal(ModalScreen[InstanceSpec | None]):
    """Collects an ``InstanceSpec``; dismisses with it once valid, or None."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set(TONE_CLASSES)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Create"),
        # Not in the clawdbot.json editor, where tab indents (see check_action).
        *FIELD_FOCUS_BINDINGS,
    ]

    def __init__(
        self,
        ops: InstanceService,
        *,
        prefill: InstanceSpec | None = None,
        title: str = "New instance",
        note: str | None = None,
    ) -> None:
        """Create the form.

        Args:
            ops: The service (for the name and port preview).
            prefill: Values to start from (after a failed create, or a clone's source). Its
                keys fill the key fields (hidden) and its image is kept.
            title: The dialog's title (``Clone bot-alpha``).
            note: A line under the title (what a clone copies and what not).
        """
        super().__init__()
        self._ops = ops
        self._prefill = prefill
        self._title = title
        self._note = note
        self._preview_ok = False

    def compose(self) -> ComposeResult:
        spec = self._prefill
        # Until the settings arrive (load_defaults), the model defaults stand in.
        resources = spec.resources if spec else Resources()
        storage = spec.storage if spec else Storage()
        with Vertical(classes="dialog -wide", id="create-dialog"):
            yield Label(plain(self._title), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                if self._note:
                    yield Static(toned(self._note, "warn"), id="create-note")
                yield Label("Display name", classes="field-label")
                yield Field(
                    spec.display_name if spec else "",
                    placeholder="e.g. Bot Alpha",
                    id="display_name",
                    compact=True,
                )
                yield Static("", id="name-preview", classes="field-hint")
                yield FieldError(id="display_name-error", classes="field-error")
                yield from field_row(
                    [(f, _RESOURCE_LABELS[f], getattr(resources, f)) for f in RESOURCE_FIELDS]
                )
                yield FieldError(id="resources-error", classes="field-error")
                yield from field_row(
                    [(f"storage_{r}", f"PVC {r}", getattr(storage, r)) for r in STORAGE_ROLES]
                )
                yield FieldError(id="storage-error", classes="field-error")
                keys = spec.api_keys if spec else {}
                yield from field_row(
                    [
                        (p.value, f"{p.label} key", keys[p].get_secret_value() if p in keys else "")
                        for p in Provider
                    ],
                    password=True,
                )
                yield Static(
                    "Empty key fields inherit the global key (Settings).", classes="field-hint"
                )
                yield FieldError(id="api_keys-error", classes="field-error")
                yield Label("clawdbot.json (optional)", classes="field-label")
                yield TextArea.code_editor(
                    (spec.clawdbot_config or "") if spec else "",
                    language="json",
                    id="clawdbot_config",
                    soft_wrap=True,
                )
                yield FieldError(id="clawdbot_config-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create (ctrl+s)", id="create", variant="primary")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("app.focus_next", "app.focus_previous", "focus_next", "focus_previous"):
            return not isinstance(self.focused, TextArea)
        return True

    def on_mount(self) -> None:
        for error in self.query(FieldError):
            error.set(None)
        name = self.query_one("#display_name", Input)
        # Not scrolled into the centre: at 80×24 that scrolled its label away.
        self.set_focus(name, scroll_visible=False)
        if self._prefill is not None:
            self._preview(self._prefill.display_name)
        else:
            self.load_defaults()

    def on_key(self, event: events.Key) -> None:
        # Keys typed right after ``n``, before the name field had the focus, belong in it.
        # A printable key reaching the screen went through no field (fields stop theirs).
        name = self.query_one("#display_name", Input)
        if self.focused in (None, name) and event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            self.set_focus(name)
            name.insert_text_at_cursor(event.character)

    @work(exclusive=True, group="create-defaults", exit_on_error=False)
    async def load_defaults(self) -> None:
        """Prefill resources and storage from the global settings (fields not yet edited)."""
        try:
            settings = await self._ops.get_settings()
        except ClaworcError as exc:
            self.post_message(ServiceFailed("load the defaults", exc))
            return
        defaults = {f: getattr(settings.default_resources, f) for f in RESOURCE_FIELDS}
        defaults |= {f"storage_{r}": getattr(settings.default_storage, r) for r in STORAGE_ROLES}
        model = {f: getattr(Resources(), f) for f in RESOURCE_FIELDS}
        model |= {f"storage_{r}": getattr(Storage(), r) for r in STORAGE_ROLES}
        for field, value in defaults.items():
            widget = self.query_one(f"#{field}", Input)
            if widget.value == model[field]:
                widget.value = value

    # -- live preview --------------------------------------------------------------------------

    @on(Input.Changed, "#display_name")
    def _name_typed(self, event: Input.Changed) -> None:
        self._preview(event.value)

    def _preview(self, display_name: str) -> None:
        self._preview_ok = False
        hint = self.query_one("#name-preview", Static)
        error = self.query_one("#display_name-error", FieldError)
        if not display_name.strip():
            hint.update("")
            error.set(None)
            return
        try:
            name = derive_name(display_name)
        except ValidationFailed as exc:
            hint.update("")
            error.set(exc.message)
            return
        error.set(None)
        hint.update(fmt("→ [b]$name[/b]  ports …", name=name))
        self.load_preview(display_name)

    @work(exclusive=True, group=PREVIEW_GROUP, exit_on_error=False)
    async def load_preview(self, display_name: str) -> None:
        """Ask the service for the derived name and the port pair (debounced by exclusivity)."""
        await asyncio.sleep(0.15)
        hint = self.query_one("#name-preview", Static)
        error = self.query_one("#display_name-error", FieldError)
        try:
            name, pair = await self._ops.preview(display_name)
        except ClaworcError as exc:
            if self.query_one("#display_name", Input).value == display_name:
                hint.update("")
                error.set(str(exc))
            return
        if self.query_one("#display_name", Input).value != display_name:
            return  # stale
        self._preview_ok = True
        # A clone keeps its source's exposure, whatever the settings' default says.
        exposure = self._prefill.exposure if self._prefill else None
        if exposure is Exposure.PRIVATE or (pair is None and exposure is None):
            hint.update(fmt("→ [b]$name[/b]  private: no NodePorts (F forwards)", name=name))
            return
        if pair is None:
            hint.update(fmt("→ [b]$name[/b]  NodePorts: the lowest free pair", name=name))
            return
        hint.update(
            fmt(
                "→ [b]$name[/b]  Chrome port $chrome, terminal port $terminal",
                name=name,
                chrome=pair[0],
                terminal=pair[1],
            )
        )

    @on(Input.Changed)
    def _clear_error_on_edit(self, event: Input.Changed) -> None:
        # An error stayed on screen after its field was fixed, until the next submit.
        field = event.input.id or ""
        if field in RESOURCE_FIELDS:
            self.query_one("#resources-error", FieldError).set(None)
        elif field.startswith("storage_"):
            self.query_one("#storage-error", FieldError).set(None)
        elif field in {p.value for p in Provider}:
            self.query_one("#api_keys-error", FieldError).set(None)

    @on(TextArea.Changed, "#clawdbot_config")
    def _clear_config_error(self) -> None:
        self.query_one("#clawdbot_config-error", FieldError).set(None)

    # -- submit --------------------------------------------------------------------------------

    @on(Button.Pressed, "#create")
    def action_submit(self) -> None:
        """Validate everything; send nothing unless it is all valid."""
        self.submit()

    @work(exclusive=True, group="create-submit", exit_on_error=False)
    async def submit(self) -> None:
        """Validate locally, then check the name and ports with the service, then dismiss."""
        spec, errors = self._collect()
        if spec is not None:
            try:
                await self._ops.preview(spec.display_name)
            except ClaworcError as exc:
                errors["display_name"] = str(exc)
        for field in ("display_name", "resources", "storage", "api_keys", "clawdbot_config"):
            self.query_one(f"#{field}-error", FieldError).set(errors.get(field))
        if errors or spec is None:
            first = next(iter(errors), "display_name")
            target = {"resources": "cpu_request", "storage": "storage_clawdbot"}.get(first, first)
            if first == "api_keys":
                target = Provider.ANTHROPIC.value
            self.query_one(f"#{target}").focus()
            return
        self.dismiss(spec)

    def _collect(self) -> tuple[InstanceSpec | None, dict[str, str]]:
        errors: dict[str, str] = {}
        display_name = self.query_one("#display_name", Input).value.strip()
        if not display_name:
            errors["display_name"] = "a display name is required"
        else:
            try:
                derive_name(display_name)
            except ValidationFailed as exc:
                errors["display_name"] = exc.message
        resources: Resources | None = None
        try:
            resources = Resources(
                **{f: self.query_one(f"#{f}", Input).value.strip() for f in RESOURCE_FIELDS}
            )
        except ValidationError as exc:
            errors["resources"] = with_labels(pydantic_message(exc), _LABELS)
        storage: Storage | None = None
        try:
            storage = Storage(
                **{
                    role: self.query_one(f"#storage_{role}", Input).value.strip()
                    for role in STORAGE_ROLES
                }
            )
        except ValidationError as exc:
            errors["storage"] = with_labels(pydantic_message(exc), _STORAGE_LABELS)
        keys: dict[Provider, SecretStr] = {}
        for provider in Provider:
            value = self.query_one(f"#{provider.value}", Input).value
            if value.strip():
                if any(ch.isspace() for ch in value.strip()):
                    errors["api_keys"] = f"{provider.label} key must be one line without spaces"
                keys[provider] = SecretStr(value.strip())
        config_text = self.query_one("#clawdbot_config", TextArea).text
        try:
            config = validate_clawdbot_config(config_text)
        except ValueError as exc:
            errors["clawdbot_config"] = str(exc)
            config = None
        if errors or resources is None or storage is None:
            return None, errors
        try:
            spec = InstanceSpec(
                display_name=display_name,
                resources=resources,
                storage=storage,
                clawdbot_config=config,
                api_keys=keys,
                image=self._prefill.image if self._prefill else None,
                exposure=self._prefill.exposure if self._prefill else None,
            )
        except ValidationError as exc:
            errors["display_name"] = with_labels(pydantic_message(exc), _LABELS)
            return None, errors
        return spec, errors

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without creating anything."""
        self.dismiss(None)
