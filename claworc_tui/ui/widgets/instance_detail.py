"""The detail pane: every field of one instance, its objects, keys, URLs, events and advice.

The parent sets ``view`` (cheap, from the live stream) and ``details`` (loaded on selection);
the pane only renders, and posts ``AdviceChosen`` when the user picks an advice's action.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content, Span
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Static

from claworc_tui.models.instance import STORAGE_ROLES, Instance, Provider
from claworc_tui.models.secrets import mask_key
from claworc_tui.models.wording import plural
from claworc_tui.services.views import InstanceDetails, InstanceView, Tone
from claworc_tui.ui.format import age
from claworc_tui.ui.text import fmt, plain, stacked
from claworc_tui.ui.widgets.clocked import Clocked
from claworc_tui.ui.widgets.event_line import event_line
from claworc_tui.ui.widgets.section import Section
from claworc_tui.ui.widgets.tones import TONE_CLASSES, status_text, toned

_KIND_SHORT = {"PersistentVolumeClaim": "PVC", "ConfigMap": "ConfigMap", "Deployment": "Deploy"}
_SOURCE_LABEL = {"override": "instance override", "global": "global", "none": "not set"}
_BOLD_VNC = Content.from_markup("[b]VNC[/b]")
_BOLD_EVENTS = Content.from_markup("[b]Events[/b]")


def _row(label: str, value: Content | str) -> Content:
    """One labelled row; a str value is untrusted text."""
    shown = value if isinstance(value, Content) else plain(value)
    return Content.assemble((f"{label:<10}", "bold"), " ", shown)


def _ports_text(instance: Instance) -> str:
    """The NodePort pair, or why there is none (a private instance is reached by a forward)."""
    pair = instance.node_ports
    if pair is None:
        return "none: private (ClusterIP; F opens a port-forward)"
    return f"chrome {pair[0]}  terminal {pair[1]}"


class InstanceDetail(Clocked, VerticalScroll, can_focus=True):
    """Shows one instance in full. Attributes down (``view``, ``details``), messages up."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set(TONE_CLASSES)

    view: reactive[InstanceView | None] = reactive(None, always_update=True)
    """The live row of the selected instance (updated from the status stream)."""
    details: reactive[InstanceDetails | None] = reactive(None, always_update=True)
    """Objects, keys, URLs, events and advice (loaded when the selection settles)."""

    class AdviceChosen(Message):
        """The user picked the action of an advice."""

        def __init__(self, name: str, code: str, label: str) -> None:
            super().__init__()
            self.name = name
            self.code = code
            self.label = label

    def __init__(
        self, now: Callable[[], datetime], *, id: str | None = None, classes: str | None = None
    ) -> None:
        """Create the pane (``now``, ``id``, ``classes``: see :class:`Clocked`)."""
        super().__init__(now, id=id, classes=classes)
        self._advice_shown: tuple[object, ...] = (None, ())
        self._drawn: dict[str, tuple[str, list[Span]]] = {}
        self._shown_name: str | None = None
        self._advice_layout: tuple[object, ...] = (None, ())
        self._reasons: dict[str, str] = {}
        """The last reason seen per instance: a crash-looping pod's reason comes and goes with
        each restart, and its row (often three lines) moved every section below it."""

    def compose(self) -> ComposeResult:
        yield Section("Select an instance.", id="detail-summary", classes="detail-section")
        # Advice right under the summary: what to do comes first, and the events below (which
        # grow while a pod crash-loops) do not move it.
        advice = Vertical(id="detail-advice", classes="detail-section")
        advice.display = False
        yield advice
        yield Section("", id="detail-urls", classes="detail-section")
        yield Section("", id="detail-objects", classes="detail-section")
        yield Section("", id="detail-keys", classes="detail-section")
        yield Section("", id="detail-events", classes="detail-section")

    def watch_view(self, view: InstanceView | None) -> None:
        name = view.name if view else None
        if name != self._shown_name:
            self._shown_name = name
            self.scroll_home(animate=False)  # another instance starts at its top
        self.border_title = plain(view.name) if view else "detail"
        self._draw(
            "#detail-summary", self._summary(view) if view else Content("Select an instance.")
        )
        if view is None:
            self.details = None

    def watch_details(self, details: InstanceDetails | None) -> None:
        if details is not None and (self.view is None or self.view.name != details.view.name):
            self.view = details.view
        self._draw("#detail-urls", self._urls(details))
        self._draw("#detail-objects", self._objects(details))
        self._draw("#detail-keys", self._keys(details))
        self._draw("#detail-events", self._events(details))
        self._show_advice(details)

    def tick(self) -> None:
        """Redraw the relative times ("started 3m ago", event ages) if their text moved on."""
        if self.view is not None:
            self._draw("#detail-summary", self._summary(self.view))
        self._draw("#detail-events", self._events(self.details))

    def _draw(self, selector: str, content: Content) -> None:
        """Update a section only when what it shows changed (text or styles).

        A section that keeps its height (a relative time moved on: "started 3m ago") repaints
        only its changed lines, without a layout pass: a layout also repainted both scrollbars
        of the list, ~5 KB to the terminal on each 10 s tick (bench/terminal.py, idle bytes).
        """
        key = (content.plain, list(content.spans))
        if self._drawn.get(selector) != key:
            self._drawn[selector] = key
            self.query_one(selector, Section).show(content)

    # -- sections ------------------------------------------------------------------------------

    def _summary(self, view: InstanceView) -> Content:
        instance = view.instance
        res = instance.resources
        storage = "  ".join(f"{role} {getattr(instance.storage, role)}" for role in STORAGE_ROLES)
        now = self._now()
        rows = [
            fmt("[b]$name[/b]  $display", name=instance.name, display=instance.display_name),
            _row(
                "Status",
                Content.assemble(status_text(view.tone, view.status), self._stale(view, now)),
            ),
            _row("Ready", f"{view.ready_text}   restarts {view.restarts}"),
        ]
        if view.last_termination:
            rows.append(_row("Last exit", view.last_termination))
        if view.reason:
            self._reasons[view.name] = view.reason
        reason = view.reason or (self._reasons.get(view.name) if view.restarts else None)
        if reason:
            rows.append(_row("Reason", reason))
        pod = view.pod_name or "no pod"
        if view.node:
            pod += f" on {view.node}"
        if view.started_at:
            pod += f", started {age(view.started_at, now)} ago"
        rows += [
            _row("Pod", pod),
            _row("Ports", _ports_text(instance)),
            _row("CPU", f"request {res.cpu_request}  limit {res.cpu_limit}"),
            _row("Memory", f"request {res.memory_request}  limit {res.memory_limit}"),
            _row("Storage", storage),
            _row("Config", self._config_summary(instance.clawdbot_config)),
        ]
        if instance.image:  # its own (redeploy --image, a clone); else the settings' image
            rows.append(_row("Image", f"{instance.image} (its own; U redeploys)"))
        rows += [
            _row(
                "Record",
                f"{instance.status.value}"
                + (f" ({instance.status_detail})" if instance.status_detail else ""),
            ),
            _row("Created", f"{age(instance.created_at, now)} ago"),
        ]
        return stacked(*rows)

    @staticmethod
    def _stale(view: InstanceView, now: datetime) -> Content:
        if view.stale_since is None:
            return Content("")
        return toned(
            f"  last known, {age(view.stale_since, now)} ago (cluster not watched)", "warn"
        )

    @staticmethod
    def _config_summary(text: str | None) -> str:
        if not text or not text.strip():
            return "clawdbot.json: empty object"
        lines = text.count("\n") + 1
        return f"clawdbot.json: {plural(len(text.encode()), 'byte')}, {plural(lines, 'line')}"

    @staticmethod
    def _urls(details: InstanceDetails | None) -> Content:
        if details is None:
            return Content()
        if details.urls is None:
            return Content.assemble(_BOLD_VNC, "\n  ", toned("no node address yet", "hint"))
        return Content.assemble(
            _BOLD_VNC,
            "  ",
            toned("(c copies Chrome, t copies Terminal)", "hint"),
            fmt(
                "\n  Chrome    $chrome\n  Terminal  $terminal",
                chrome=details.urls.chrome,
                terminal=details.urls.terminal,
            ),
        )

    @staticmethod
    def _objects(details: InstanceDetails | None) -> Content:
        if details is None:
            return Content()
        docker = any(row.kind == "Container" for row in details.objects)  # the Docker backend
        rows = [Content.from_markup(f"[b]{'Docker' if docker else 'Kubernetes'} objects[/b]")]
        for row in details.objects:
            tone = Tone.OK if row.ok else Tone.ERROR
            kind = _KIND_SHORT.get(row.kind, row.kind)
            rows.append(
                Content.assemble(
                    "  ",
                    status_text(tone, f"{kind:<10}"),
                    plain(f" {row.name}  "),
                    toned(row.state, "hint"),
                )
            )
        return stacked(*rows)

    @staticmethod
    def _keys(details: InstanceDetails | None) -> Content:
        if details is None:
            return Content()
        rows = [Content.from_markup("[b]API keys[/b]")]
        by_provider = {key.provider: key for key in details.keys}
        for provider in Provider:
            key = by_provider.get(provider)
            source = _SOURCE_LABEL.get(key.source, key.source) if key else "not set"
            # The service already masks; mask again only if it handed over something long.
            masked = key.masked if key else mask_key(None)
            rows.append(plain(f"  {provider.label:<13} {source:<18} {masked}"))
        return stacked(*rows)

    def _events(self, details: InstanceDetails | None) -> Content:
        if details is None:
            return Content()
        if not details.events:
            return Content.assemble(_BOLD_EVENTS, "\n  ", toned("none", "hint"))
        now = self._now()
        rows = [_BOLD_EVENTS]
        rows.extend(event_line(event, now, 200) for event in details.events[:20])
        return stacked(*rows)

    def _show_advice(self, details: InstanceDetails | None) -> None:
        shown = (details.view.name if details else None, details.advice if details else ())
        if shown == self._advice_shown:
            return  # unchanged: keep the buttons (and the focus on them)
        layout = (shown[0], tuple((a.code, a.action) for a in shown[1]))
        if details is not None and layout == self._advice_layout:
            # Same advice, new words ("Crash-looping: 5 restarts"): update in place, so the
            # section neither blinks out nor moves what is below it.
            self._advice_shown = shown
            for advice in details.advice:
                shown_text = self.query_one(f"#advice-text-{advice.code}", Static)
                shown_text.update(self._advice_text(advice.title, advice.detail))
            return
        self._advice_shown = shown
        self._advice_layout = layout
        box = self.query_one("#detail-advice", Vertical)
        box.remove_children()
        box.display = details is not None and bool(details.advice)  # no empty gap without advice
        if details is None or not details.advice:
            return
        widgets: list[Static | Button] = [Static(Content.from_markup("[b]Advice[/b]"))]
        for advice in details.advice:
            text = self._advice_text(advice.title, advice.detail)
            widgets.append(Static(text, id=f"advice-text-{advice.code}"))
            if advice.action:
                button = Button(plain(advice.action), id=f"advice-{advice.code}", compact=True)
                button.tooltip = plain(f"{advice.action} ({advice.code})")
                widgets.append(button)
        box.mount_all(widgets)

    @staticmethod
    def _advice_text(title: str, detail: str) -> Content:
        return Content.assemble(
            "  ", toned("▲", "warn"), fmt(" [b]$title[/b]\n    $detail", title=title, detail=detail)
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button_id = event.button.id or ""
        if self.details is None or not button_id.startswith("advice-"):
            return
        code = button_id.removeprefix("advice-")
        self.post_message(self.AdviceChosen(self.details.view.name, code, str(event.button.label)))
