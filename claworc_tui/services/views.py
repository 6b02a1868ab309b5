"""What the service layer hands the UI and the CLI: frozen models, no I/O, no Kubernetes types.

These are the contract between ``services`` and ``ui``: the UI renders them and never reaches
past them into ``k8s`` or ``db``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from claworc_tui.models.instance import Instance, Provider
from claworc_tui.models.logs import LogBatch as LogBatch
from claworc_tui.models.logs import LogEvent as LogEvent
from claworc_tui.models.logs import LogLine as LogLine
from claworc_tui.models.logs import LogStatus as LogStatus
from claworc_tui.models.logs import LogStreamState as LogStreamState


class _Frozen(BaseModel):
    # defer_build: each model's validator is built at its first use, not at import (issue 17,
    # launch: the first frame needs two of these twenty).
    model_config = ConfigDict(frozen=True, defer_build=True)


class Tone(StrEnum):
    """How a status should be coloured."""

    OK = "ok"
    BUSY = "busy"
    WARN = "warn"
    ERROR = "error"
    MUTED = "muted"


class ConnectionState(StrEnum):
    """State of the shared pod watch (and so of everything live on screen)."""

    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    UNREACHABLE = "unreachable"
    FAILED = "failed"
    """The server refuses us (credentials expired for good, RBAC): the user has to act."""


class Connection(_Frozen):
    """The connection state with the reason a user needs."""

    state: ConnectionState
    reason: str | None = None
    attempt: int = 0
    since: datetime | None = None


class InstanceView(_Frozen):
    """One row of the instance list: the record merged with its live pod."""

    instance: Instance
    status: str
    """What the user reads: ``Running``, ``Stopped``, ``Pending``, ``CrashLoopBackOff``,
    ``OOMKilled``, ``ImagePullBackOff``, ``ContainerCreating``, ``Terminating``, ``creating``…"""
    tone: Tone
    reason: str | None = None
    """Longer why, e.g. the last termination message or the DB status detail."""
    ready: bool = False
    ready_text: str = "0/0"
    restarts: int = 0
    last_termination: str | None = None
    """Reason of the last container termination (``OOMKilled``, ``Error``)."""
    pod_name: str | None = None
    node: str | None = None
    started_at: datetime | None = None
    """When the current pod started (None if no pod)."""
    stale_since: datetime | None = None
    """Set while the cluster cannot be watched: the status is the last one known, from then."""

    @property
    def name(self) -> str:
        """The instance name."""
        return self.instance.name


class FleetSnapshot(_Frozen):
    """Every instance at once (first message, and after a re-list)."""

    views: tuple[InstanceView, ...]


class FleetChanged(_Frozen):
    """Some instances changed or went away."""

    changed: tuple[InstanceView, ...] = ()
    removed: tuple[str, ...] = ()
    touched: tuple[str, ...] = ()
    """Instances whose objects, events or record changed (their details are worth reloading)."""


class ConnectionChanged(_Frozen):
    """The live connection changed state."""

    connection: Connection


FleetEvent = FleetSnapshot | FleetChanged | ConnectionChanged


class StepState(StrEnum):
    """State of one step of an operation."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    ROLLED_BACK = "rolled back"


class Progress(_Frozen):
    """One report of a multi-step operation (create, delete, bulk)."""

    operation: str
    name: str
    step: str
    index: int
    total: int
    state: StepState
    detail: str | None = None


class StepReporter:
    """The :class:`Progress` reports of one run of an operation whose steps are known ahead
    (create, delete, redeploy): ``report(step, state, detail)``, numbered by ``steps``."""

    def __init__(self, operation: str, name: str, steps: Sequence[str]) -> None:
        self.operation = operation
        self.name = name
        self.steps = tuple(steps)

    def __call__(self, step: str, state: StepState, detail: str | None = None) -> Progress:
        """The report that ``step`` (one of the steps) is in ``state``."""
        return Progress(
            operation=self.operation,
            name=self.name,
            step=step,
            index=self.steps.index(step) + 1,
            total=len(self.steps),
            state=state,
            detail=detail,
        )


class VncUrls(_Frozen):
    """The two noVNC URLs of an instance."""

    chrome: str
    terminal: str


class KeySource(_Frozen):
    """Where one provider's effective key comes from, masked."""

    provider: Provider
    source: str
    """``override``, ``global`` or ``none``."""
    masked: str


class ObjectRow(_Frozen):
    """One Kubernetes object of an instance, for the detail pane."""

    kind: str
    name: str
    state: str
    """``missing``, or a short summary (``Bound 5Gi``, ``1/1 ready``, ``30100,30101``)."""
    ok: bool


class EventRow(_Frozen):
    """A Kubernetes event, newest first."""

    time: datetime | None
    type: str
    reason: str
    object: str
    message: str
    count: int = 1


class Advice(_Frozen):
    """Something the cluster reports, and one action that addresses it."""

    code: str
    """``raise-memory``, ``crash-loop``, ``pvc-pending``, ``unschedulable``."""
    title: str
    detail: str
    action: str | None = None
    """Label of the action, or None when it is only information."""


class InstanceDetails(_Frozen):
    """Everything the detail pane shows for one instance."""

    view: InstanceView
    urls: VncUrls | None
    objects: tuple[ObjectRow, ...]
    keys: tuple[KeySource, ...]
    events: tuple[EventRow, ...]
    advice: tuple[Advice, ...]


class DriftKind(StrEnum):
    """Kinds of difference between the records and the cluster."""

    MISSING = "missing"
    DIFFERS = "differs"
    ORPHAN = "orphan"
    PORT_CONFLICT = "port conflict"
    STUCK = "stuck"
    OTHER_DATABASE = "owned elsewhere"
    """An instance another claworc database owns (its owner id), or one made before owner ids
    with no record here (legacy): adoptable, never deleted from here."""


class DriftItem(_Frozen):
    """One difference, with what repairing it would do."""

    kind: DriftKind
    instance: str | None
    object: str
    detail: str
    repair: str
    """What the repair does (``re-create``, ``re-apply replicas 1``, ``delete``)."""
    uid: str | None = None
    """For an orphan: the uid of the object found (a delete is conditional on it)."""


class RepairResult(_Frozen):
    """What a repair did: counts only what really changed (a 404 is not a repair)."""

    repaired: int = 0
    """Differences of recorded instances that were re-applied."""
    deleted: tuple[str, ...] = ()
    """``Kind/name`` of orphans deleted."""
    already_gone: tuple[str, ...] = ()
    """Orphans that no longer existed (404): nothing was done."""
    skipped: tuple[str, ...] = ()
    """``Kind/name: why`` of orphans not deleted (replaced since the check, not ours …)."""

    def summary(self) -> str:
        """One line: what was repaired and deleted, what was gone or left alone."""
        parts = [f"repaired {self.repaired + len(self.deleted)}"]
        if self.deleted:
            parts.append("deleted " + ", ".join(self.deleted))
        if self.already_gone:
            parts.append("already gone (nothing done): " + ", ".join(self.already_gone))
        if self.skipped:
            parts.append("; ".join(self.skipped))
        return "; ".join(parts)


class DriftReport(_Frozen):
    """Every difference found in one pass."""

    items: tuple[DriftItem, ...]
    checked: int

    @property
    def clean(self) -> bool:
        """True when the records and the cluster agree."""
        return not self.items

    def of_kind(self, *kinds: DriftKind) -> Sequence[DriftItem]:
        """The items of the given kinds."""
        return [item for item in self.items if item.kind in kinds]


class AdoptAction(StrEnum):
    """What ``adopt`` does (or did) with one instance found in the cluster."""

    ADOPT = "adopt"
    """Would be adopted (dry run)."""
    ADOPTED = "adopted"
    RECORDED = "already recorded"
    CONFLICT = "conflict"
    """A name or port pair this database uses for something else; nothing was changed."""
    REFUSED = "refused"
    """Not ours, or nothing to adopt; nothing was changed."""


class AdoptCandidate(_Frozen):
    """One instance ``adopt`` looked at. Keys appear masked only."""

    name: str
    action: AdoptAction
    detail: str
    display_name: str | None = None
    owner: str | None = None
    """Owner ids the objects carry (``none (legacy)`` for objects made before owner ids)."""
    status: str | None = None
    exposure: str | None = None
    ports: tuple[int, int] | None = None
    """The port pair of the record (None: a free pair is chosen when adopting)."""
    overrides: tuple[str, ...] = ()
    """Per-instance keys that would be sealed, masked (``Anthropic sk-ant-…9f2c (why)``)."""
    notes: tuple[str, ...] = ()


class AdoptPlan(_Frozen):
    """What ``adopt`` would do (``applied`` False) or did."""

    candidates: tuple[AdoptCandidate, ...]
    everything: bool = False
    applied: bool = False

    @property
    def failed(self) -> list[AdoptCandidate]:
        """Candidates refused or in conflict."""
        return [
            c for c in self.candidates if c.action in (AdoptAction.CONFLICT, AdoptAction.REFUSED)
        ]


class LogOptions(_Frozen):
    """How to follow an instance's logs."""

    tail_lines: int | None = 500
    since_seconds: int | None = None
    previous: bool = False
    follow: bool = True
