"""The instance service on one Docker engine: the same API the TUI and the CLI drive.

:class:`~claworc_tui.services.docker_runtime.DockerRuntime` gives the Runtime Protocol
(start, stop, restart, live status, log follow) over :mod:`claworc_tui.docker`;
:class:`DockerInstanceService` is the :class:`InstanceService` composed with the Docker parts
(README, "The Docker backend"): create and delete (:mod:`.docker_lifecycle`), the edits
(:mod:`.docker_edits`), the detail pane and URLs (:mod:`.docker_details`), drift, repair and
the sweep (:mod:`.docker_drift`). The records, the activity log, the operation locks, the
fleet hub, the status merge, the logs and the advice are the very same code. The commands that
exist on Kubernetes only are refused here (:mod:`.kube_only`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from claworc_tui.services.docker_details import DockerInspection
from claworc_tui.services.docker_drift import DockerDriftService
from claworc_tui.services.docker_edits import DockerEdits
from claworc_tui.services.docker_lifecycle import DockerLifecycle
from claworc_tui.services.docker_runtime import DockerRuntime
from claworc_tui.services.instances import InstanceService
from claworc_tui.services.kube_only import not_on_docker
from claworc_tui.services.store import Store
from claworc_tui.services.views import AdoptPlan, Progress


class DockerInstanceService(InstanceService):
    """:class:`InstanceService` on a Docker engine (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        runtime: DockerRuntime,
        *,
        read_only_reason: str | None = None,
        log_buffer_lines: int = 10_000,
    ) -> None:
        # No Kubernetes client on this backend: the Kubernetes parts are not built.
        super().__init__(
            store,
            None,
            read_only_reason=read_only_reason,
            log_buffer_lines=log_buffer_lines,
            runtime=runtime,
        )
        self.docker = runtime
        ops = self.ops = runtime.ops
        """The engine operations (containers, volumes, folders of the instances)."""
        self.lifecycle = DockerLifecycle(store, ops, self.guard)
        edits = self.edits = DockerEdits(store, ops, self.guard)
        self.inspection = DockerInspection(store, ops, self.hub)
        self.drift_check = self.sweeper = DockerDriftService(store, ops, self.guard, edits.rebuild)

    async def aclose(self) -> None:
        """Stop the shared watch and close the engine connection."""
        try:
            await super().aclose()
        finally:
            await self.docker.engine.aclose()

    async def apply_advice(self, name: str, code: str) -> str:
        """Apply one advice's action (the crash loop's: this backend's previous run)."""
        if code == "crash-loop":
            lines = await self.previous_log_tail(name)
            return "\n".join(lines) or "(the previous run wrote nothing)"
        return await super().apply_advice(name, code)

    # -- Kubernetes only ---------------------------------------------------------------------

    def redeploy(
        self,
        names: Sequence[str],
        image: str | None = None,
        *,
        wait: bool = True,
        ready_within: float = 0,
    ) -> AsyncIterator[Progress]:
        """Refused on Docker (nothing is written): see :mod:`~claworc_tui.services.kube_only`.

        Raised on the first step, as every other step failure is, so the progress views and
        the CLI report it where they report those."""
        return _refused("redeploy")

    async def adopt_plan(self, names: Sequence[str], *, everything: bool = False) -> AdoptPlan:
        """Refused on Docker: adopt reads a Kubernetes namespace."""
        raise not_on_docker("adopt")

    async def adopt(self, names: Sequence[str], *, everything: bool = False) -> AdoptPlan:
        """Refused on Docker: adopt reads a Kubernetes namespace."""
        raise not_on_docker("adopt")

    async def forget(self, name: str) -> str:
        """Refused on Docker: forget drops a record another database adopted from a namespace."""
        raise not_on_docker("forget")


async def _refused(command: str) -> AsyncIterator[Progress]:
    raise not_on_docker(command)
    yield  # an async generator: the refusal comes at the first step
