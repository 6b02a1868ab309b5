"""Global settings: API keys (masked; set, replace, clear), defaults, image, node host, ports."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from pydantic import SecretStr
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from claworc_tui.models.errors import ClaworcError, ValidationFailed
from claworc_tui.models.instance import STORAGE_ROLES, Provider
from claworc_tui.models.settings import GlobalSettings
from claworc_tui.models.text import safe_text
from claworc_tui.models.wording import plural
from claworc_tui.services.views import KeySource
from claworc_tui.ui.context import UiContext
from claworc_tui.ui.format import with_labels
from claworc_tui.ui.messages import ServiceFailed
from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.text import plain, stacked, toast
from claworc_tui.ui.widgets.app_header import AppHeader
from claworc_tui.ui.widgets.field import Field
from claworc_tui.ui.widgets.form import (
    FIELD_FOCUS_BINDINGS,
    RESOURCE_FIELDS,
    FieldError,
    field_row,
)
from claworc_tui.ui.widgets.tones import TONE_CLASSES, toned

_LABELS = {
    "image": "Image",
    "image_pull_secret": "Image pull secret (empty: none)",
    "node_host": "Node host for VNC URLs (empty: ask the cluster)",
    "port_range_start": "NodePort range start (even)",
    "port_range_end": "NodePort range end",
    "default_exposure": "Exposure of new instances: nodeport, or private (reached by port-forward)",
}


#: Setting names as the screen labels them, for messages that name them.
_MESSAGE_LABELS = {
    "image": "Image",
    "image_pull_secret": "Image pull secret",
    "node_host": "Node host",
    "port_range_start": "NodePort range start",
    "port_range_end": "NodePort range end",
    **{key: key.replace("_", " ") for key in RESOURCE_FIELDS},
    **{role: f"PVC {role}" for role in STORAGE_ROLES},
}


def current_values(settings: GlobalSettings) -> dict[str, str]:
    """The plain settings as the form shows them, keyed by settings key."""
    values = {f"default_{key}": getattr(settings.default_resources, key) for key in RESOURCE_FIELDS}
    values |= {
        f"default_storage_{role}": getattr(settings.default_storage, role) for role in STORAGE_ROLES
    }
    values |= {
        "image": settings.image,
        "image_pull_secret": settings.image_pull_secret or "",
        "node_host": settings.node_host or "",
        "port_range_start": str(settings.port_range_start),
        "port_range_end": str(settings.port_range_end),
        "default_exposure": settings.default_exposure.value,
    }
    return values


class SettingsScreen(Screen[None]):
    """Edits the global settings. Keys are sent one by one; the rest with Save."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set(TONE_CLASSES)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save"),
        # As in k9s and lazydocker, q goes back (typed into a field, it is just a q).
        Binding("escape,q", "close", "Back"),
        *FIELD_FOCUS_BINDINGS,
    ]
    AUTO_FOCUS = "Input"

    def __init__(self, ctx: UiContext) -> None:
        """Create the screen.

        Args:
            ctx: The service and the run's facts.
        """
        super().__init__()
        self.ctx = ctx
        self._loaded: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        ctx = self.ctx
        header = AppHeader(ctx.context_name, ctx.namespace, runtime=ctx.runtime)
        yield header
        with VerticalScroll(id="settings-body"):
            yield Label("Settings", classes="section-title")
            yield Static("", id="settings-warnings")
            yield Label("Global API keys", classes="section-title")
            for provider in Provider:
                with Horizontal(classes="key-row"):
                    yield Label(provider.label, classes="key-label")
                    yield Static("…", id=f"{provider.value}-masked", classes="key-masked")
                    yield Field(
                        placeholder="new key",
                        password=True,
                        id=f"{provider.value}-input",
                        classes="key-input",
                        compact=True,
                    )
                    yield Button("Set", id=f"{provider.value}-set", compact=True)
                    yield Button("Clear", id=f"{provider.value}-clear", compact=True)
            yield Label("Defaults for new instances", classes="section-title")
            yield from field_row(
                [(f"default_{key}", key.replace("_", " "), "") for key in RESOURCE_FIELDS]
            )
            for key in RESOURCE_FIELDS:
                yield FieldError(id=f"default_{key}-error", classes="field-error")
            yield from field_row(
                [(f"default_storage_{role}", f"PVC {role}", "") for role in STORAGE_ROLES]
            )
            for role in STORAGE_ROLES:
                yield FieldError(id=f"default_storage_{role}-error", classes="field-error")
            yield Label("Cluster", classes="section-title")
            for key, label in _LABELS.items():
                yield Label(label, classes="field-label")
                yield Field(id=key, compact=True)
                yield FieldError(id=f"{key}-error", classes="field-error")
            yield FieldError(id="settings-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Back", id="back")
                yield Button("Save (ctrl+s)", id="save", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        header = self.query_one(AppHeader)
        header.read_only_reason = self.ctx.read_only_reason
        header.demo = self.ctx.demo
        header.display = True
        for error in self.query(FieldError):
            error.set(None)
        warnings = self.query_one("#settings-warnings", Static)
        if self.ctx.warnings:
            warnings.update(stacked(*(toned(f"▲ {w}", "warn") for w in self.ctx.warnings)))
        warnings.display = bool(self.ctx.warnings)
        if self.ctx.read_only:
            for widget in self.query("Input, Button"):
                widget.disabled = widget.id != "back"
        self.load()

    @work(exclusive=True, group="settings-load", exit_on_error=False)
    async def load(self) -> None:
        """Load the settings and the masked key sources."""
        try:
            settings, sources = await asyncio.gather(
                self.ctx.ops.get_settings(), self.ctx.ops.global_key_sources()
            )
        except ClaworcError as exc:
            self.post_message(ServiceFailed("load the settings", exc))
            return
        self._show(settings, sources)

    def _show(self, settings: GlobalSettings, sources: list[KeySource]) -> None:
        # Shown as text: a value in the database with a control character shows (and would be
        # saved back) with the placeholder instead.
        self._loaded = {key: safe_text(value) for key, value in current_values(settings).items()}
        for key, value in self._loaded.items():
            self.query_one(f"#{key}", Input).value = value
        self._show_keys(sources)
        if settings.legacy_key_in_db:
            self.notify("the encryption key is stored in the database", severity="warning")

    def _show_keys(self, sources: list[KeySource]) -> None:
        by_provider = {source.provider: source for source in sources}
        for provider in Provider:
            source = by_provider.get(provider)
            masked = source.masked if source and source.source != "none" else "(not set)"
            self.query_one(f"#{provider.value}-masked", Static).update(plain(masked))

    # -- plain settings ------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        """Send the changed settings."""
        if self.ctx.read_only:
            toast(self, self.ctx.read_only_reason, title="Read-only", severity="warning")
            return
        self.save()

    @work(exclusive=True, group="settings-save", exit_on_error=False)
    async def save(self) -> None:
        """Send only what changed; show a refusal at its field."""
        for error in self.query(FieldError):
            error.set(None)
        changes: dict[str, str | None] = {}
        for key, old in self._loaded.items():
            value = self.query_one(f"#{key}", Input).value.strip()
            if value != old:
                changes[key] = value or None
        if not changes:
            self.notify("nothing changed", timeout=2)
            return
        try:
            settings = await self.ctx.ops.update_settings(changes)
        except ValidationFailed as exc:
            field = self._field_of(exc)
            message = with_labels(exc.message, _MESSAGE_LABELS)
            self.query_one(f"#{field or 'settings'}-error", FieldError).set(message)
            if field is not None:
                self.set_focus(self.query_one(f"#{field}", Input))
            return
        except ClaworcError as exc:
            self.query_one("#settings-error", FieldError).set(str(exc))
            self.post_message(ServiceFailed("save the settings", exc))
            return
        self._loaded = current_values(settings)
        self.notify(f"saved {len(changes)} setting{'s' if len(changes) > 1 else ''}", timeout=3)

    @on(Input.Changed)
    def _clear_error_on_edit(self, event: Input.Changed) -> None:
        # An error stayed on screen after its field was fixed, until the next save.
        if event.input.id in self._loaded:
            self.query_one(f"#{event.input.id}-error", FieldError).set(None)
            self.query_one("#settings-error", FieldError).set(None)

    def _field_of(self, exc: ValidationFailed) -> str | None:
        """The form field an error belongs to: its ``field``, else a key its message names."""
        if exc.field in self._loaded:
            return exc.field
        named = [key for key in self._loaded if key in exc.message]
        return max(named, key=len) if named else None

    # -- keys ----------------------------------------------------------------------------------

    @on(Button.Pressed)
    def _key_button(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        for provider in Provider:
            if button_id == f"{provider.value}-set":
                field = self.query_one(f"#{provider.value}-input", Input)
                if not field.value.strip():
                    self.notify(f"type the new {provider.label} key first", severity="warning")
                    field.focus()
                    return
                self.set_key(provider, field.value.strip())
            elif button_id == f"{provider.value}-clear":
                self.set_key(provider, None)

    @on(Input.Submitted, ".key-input")
    def _key_submitted(self, event: Input.Submitted) -> None:
        for provider in Provider:
            if event.input.id == f"{provider.value}-input" and event.value.strip():
                self.set_key(provider, event.value.strip())

    @work(exclusive=True, group="settings-key", exit_on_error=False)
    async def set_key(self, provider: Provider, key: str | None) -> None:
        """Set or clear a global key, then offer to restart the instances that inherit it."""
        if key is None and not await self.app.push_screen_wait(
            ConfirmModal(
                f"Clear the global {provider.label} key?",
                "Instances without their own override lose this key at their next restart.",
                "Clear",
                danger=True,
            )
        ):
            return
        try:
            names = await self.ctx.ops.set_global_key(
                provider, SecretStr(key) if key is not None else None
            )
            sources = await self.ctx.ops.global_key_sources()
        except ClaworcError as exc:
            self.post_message(ServiceFailed(f"set the {provider.label} key", exc))
            return
        self.query_one(f"#{provider.value}-input", Input).value = ""
        self._show_keys(sources)
        done = "cleared" if key is None else "saved"
        self.notify(f"{provider.label} key {done}", timeout=3)
        if names:
            await self._offer_restart(provider, names)

    async def _offer_restart(self, provider: Provider, names: list[str]) -> None:
        listed = [plain(f"  • {name}") for name in names[:30]]
        if len(names) > 30:
            listed.append(Content(f"  … and {len(names) - 30} more"))
        if not await self.app.push_screen_wait(
            ConfirmModal(
                f"Restart {plural(len(names), 'instance')}?",
                stacked(
                    Content(
                        f"These inherit the global {provider.label} key and read it only at start:"
                    ),
                    *listed,
                ),
                "Restart",
            )
        ):
            return
        failed: list[str] = []
        for name in names:
            try:
                await self.ctx.ops.restart(name)
            except ClaworcError as exc:
                failed.append(f"{name}: {exc}")
        if failed:
            self.post_message(
                ServiceFailed(
                    f"restart {plural(len(failed), 'instance')}", ClaworcError("\n".join(failed))
                )
            )
        else:
            self.notify(f"restarted {plural(len(names), 'instance')}", timeout=3)

    @on(Button.Pressed, "#back")
    def action_close(self) -> None:
        """Back to the main screen (asking first when something typed was not saved)."""
        self.close()

    @work(exclusive=True, group="settings-close", exit_on_error=False)
    async def close(self) -> None:
        """Dismiss, after asking when a field or a key input holds unsaved text."""
        unsaved = [
            key
            for key, old in self._loaded.items()
            if self.query_one(f"#{key}", Input).value.strip() != old
        ]
        unsaved += [
            provider.label
            for provider in Provider
            if self.query_one(f"#{provider.value}-input", Input).value.strip()
        ]
        if unsaved and not await self.app.push_screen_wait(
            ConfirmModal(
                f"Discard {plural(len(unsaved), 'unsaved change')}?",
                "Not saved: " + ", ".join(unsaved),
                "Discard",
                danger=True,
            )
        ):
            return
        self.dismiss(None)
