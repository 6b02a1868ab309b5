"""What every screen needs from the outside world, handed down once by the app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from claworc_tui.services.launch import Launch, NotConnected
from claworc_tui.services.views import InstanceView

if TYPE_CHECKING:  # the services import the cluster client: not before the first frame
    from claworc_tui.services import Services
    from claworc_tui.services.instances import InstanceService
    from claworc_tui.services.reach import ReachService


@dataclass(frozen=True)
class UiContext:
    """The services (once connected), the run's facts, and the injected clock and environment.

    The app starts from the records alone (:class:`~claworc_tui.services.launch.Launch`) and
    connects to the cluster after its first frame; until then :attr:`services` is None,
    :attr:`connected` is False and :attr:`ops` raises :class:`NotConnected`. The facts shown
    (context, namespace, read-only, warnings) are read from the services, never copied.
    """

    launch: Launch
    """The records and what was known before the cluster was connected to."""
    now: Callable[[], datetime]
    """The clock (injected so tests are deterministic)."""
    environ: Mapping[str, str]
    """The process environment (SSH detection for the clipboard, $EDITOR)."""
    services: Services | None = None
    """The opened services; None while connecting."""
    first_views: tuple[InstanceView, ...] = ()
    """The instances as known when the app starts (records, and live status if it came
    already): the list shows them in the first frame, before the fleet stream's snapshot."""

    @property
    def connected(self) -> bool:
        """Whether the cluster (or the engine) is open."""
        return self.services is not None

    @property
    def ops(self) -> InstanceService:
        """The instance service.

        Raises:
            NotConnected: Still connecting (the main screen refuses what needs it meanwhile).
        """
        if self.services is None:
            raise NotConnected()
        return self.services.instances

    @property
    def context_name(self) -> str:
        """Kubeconfig context shown in the header (``…`` until known, unless ``--context``)."""
        if self.services is not None:
            return self.services.context_name
        return self.launch.config.context or "…"

    @property
    def namespace(self) -> str:
        """Namespace of every instance (the engine's address on Docker, once connected)."""
        if self.services is not None:
            return self.services.namespace
        return "…" if self.runtime == "docker" else self.launch.config.namespace

    @property
    def read_only_reason(self) -> str | None:
        """Why writes are disabled, or None."""
        if self.services is not None:
            return self.services.read_only_reason
        return self.launch.read_only_reason

    @property
    def read_only(self) -> bool:
        """Whether writes are disabled."""
        return self.read_only_reason is not None

    @property
    def demo(self) -> bool:
        """Whether this is the built-in emulated cluster."""
        return self.launch.config.demo

    @property
    def warnings(self) -> tuple[str, ...]:
        """Start-up warnings (shown in Settings and once as a toast)."""
        if self.services is None:
            return tuple(self.launch.store.warnings)
        swept = (f"finished at start (start-up sweep): {line}" for line in self.services.swept)
        return (*self.services.warnings, *swept)

    @property
    def log_buffer_lines(self) -> int:
        """Lines a log pane keeps."""
        return self.launch.config.log_buffer_lines

    @property
    def reach(self) -> ReachService | None:
        """Shells and port-forwards (``S``, ``F``); None where the app has no cluster client."""
        return None if self.services is None else self.services.reach

    @property
    def runtime(self) -> str:
        """What runs the instances: ``kubernetes`` or ``docker`` (the header says which)."""
        if self.services is not None:
            return self.services.runtime.value
        return self.launch.runtime.value
