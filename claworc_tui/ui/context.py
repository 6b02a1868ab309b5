"""What every screen needs from the outside world, handed down once by the app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from claworc_tui.services.instances import InstanceService
from claworc_tui.services.reach import ReachService
from claworc_tui.services.views import InstanceView


@dataclass(frozen=True)
class UiContext:
    """The service, the run's facts, and the injected clock and environment."""

    ops: InstanceService
    """The instance service."""
    context_name: str
    """Kubeconfig context shown in the header."""
    namespace: str
    """Namespace of every instance."""
    now: Callable[[], datetime]
    """The clock (injected so tests are deterministic)."""
    environ: Mapping[str, str]
    """The process environment (SSH detection for the clipboard, $EDITOR)."""
    read_only_reason: str | None = None
    """Why writes are disabled, or None."""
    demo: bool = False
    """Whether this is the built-in emulated cluster."""
    warnings: tuple[str, ...] = field(default=())
    """Start-up warnings (shown in Settings and once as a toast)."""
    log_buffer_lines: int = 10_000
    """Lines a log pane keeps."""
    reach: ReachService | None = None
    """Shells and port-forwards (``S``, ``F``); None where the app has no cluster client."""
    first_views: tuple[InstanceView, ...] = ()
    """The instances as known when the app starts (records, and live status if it came
    already): the list shows them in the first frame, before the fleet stream's snapshot."""
    runtime: str = "kubernetes"
    """What runs the instances: ``kubernetes`` or ``docker`` (the header says which)."""

    @property
    def read_only(self) -> bool:
        """Whether writes are disabled."""
        return self.read_only_reason is not None
