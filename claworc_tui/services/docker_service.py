"""The instance service on one Docker engine: the same API the TUI and the CLI drive.

:class:`~claworc_tui.services.docker_runtime.DockerRuntime` gives the Runtime Protocol
(start, stop, restart, live status, log follow) over :mod:`claworc_tui.docker`;
:class:`DockerInstanceService` is the :class:`InstanceService` whose create, delete and edits
are the Docker mapping's (README, "The Docker backend"). The records, the activity log, the
operation locks, the fleet hub, the status merge and the advice are the very same code.

Edits on Docker: resources (and so the OOM advice's one-key fix) *recreate* the container with
the new limits, keeping its volumes; ``clawdbot.json`` is rewritten and, like the subPath
mount on Kubernetes, seen after a restart; keys are files in a bind-mounted folder, so a
rewritten key is there at once (the app reads it when it starts); volume sizes are recorded
only (local volumes have no size).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from pydantic import SecretStr

from claworc_tui.docker import spec as docker_spec
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.k8s import manifests
from claworc_tui.models.activity import Outcome
from claworc_tui.models.errors import ClaworcError, NameTaken, ValidationFailed
from claworc_tui.models.instance import (
    Instance,
    InstanceSpec,
    InstanceStatus,
    Provider,
    Resources,
    Storage,
    validate_clawdbot_config,
)
from claworc_tui.models.names import derive_name
from claworc_tui.models.quantity import parse_quantity
from claworc_tui.models.settings import GlobalSettings
from claworc_tui.services import docker_drift
from claworc_tui.services.docker_runtime import DockerRuntime
from claworc_tui.services.errors import OperationFailed, OperationInProgress
from claworc_tui.services.instances import InstanceService
from claworc_tui.services.kube_only import not_on_docker
from claworc_tui.services.ops import owner_id
from claworc_tui.services.store import Store
from claworc_tui.services.views import (
    AdoptPlan,
    DriftItem,
    DriftReport,
    InstanceDetails,
    ObjectRow,
    Progress,
    RepairResult,
    StepState,
    VncUrls,
)

CREATE_STEPS = ("record", "volumes and container", "start")
DELETE_STEPS = ("container, volumes and keys", "record")


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
        # No Kubernetes client on this backend: the Kubernetes-only parts are not built.
        super().__init__(
            store,
            None,
            read_only_reason=read_only_reason,
            log_buffer_lines=log_buffer_lines,
            runtime=runtime,
        )
        self.docker = runtime

    async def aclose(self) -> None:
        """Stop the shared watch and close the engine connection."""
        try:
            await super().aclose()
        finally:
            await self.docker.engine.aclose()

    # -- create and delete -------------------------------------------------------------------

    def create(self, spec: InstanceSpec) -> AsyncIterator[Progress]:
        """Create the record, then the folder, volumes and container; all undone on failure."""
        return self._create(spec)

    async def _create(self, spec: InstanceSpec) -> AsyncIterator[Progress]:
        self.require_writable("create an instance")
        name = derive_name(spec.display_name)
        existing = await self.store.instances.find(name)
        if existing is not None and existing.status is InstanceStatus.CREATING:
            raise OperationInProgress(name, "create")
        if existing is not None:
            raise NameTaken(name)

        def report(step: str, state: StepState, detail: str | None = None) -> Progress:
            index = CREATE_STEPS.index(step) + 1
            return Progress(
                operation="create", name=name, step=step, index=index,
                total=len(CREATE_STEPS), state=state, detail=detail,
            )  # fmt: skip

        async with self.locks.hold(name, "create") as calls:
            step, instance = "record", None
            try:
                yield report(step, StepState.RUNNING)
                settings = await self.store.settings.get()
                image = spec.image or settings.image
                await self.ops.check_image(image)  # before any row: nothing to undo
                await self.check_cpus(spec.resources)
                instance = await self.store.instances.insert(
                    name,
                    spec,
                    port_range=(settings.port_range_start, settings.port_range_end),
                    owner=owner_id(),
                    exposure=spec.exposure or settings.default_exposure,
                )
                pair = instance.node_ports
                ports = f"ports {pair[0]},{pair[1]}" if pair else "private: no published ports"
                yield report(step, StepState.DONE, ports)
                step = "volumes and container"
                yield report(step, StepState.RUNNING)
                made = await self.ops.create(
                    instance,
                    image=instance.image or settings.image,
                    keys=await self.store.effective_keys(name),
                    config_text=manifests.config_text(instance),
                    start=False,
                )
                yield report(step, StepState.DONE)
                step = "start"
                yield report(step, StepState.RUNNING)
                try:
                    await self.ops.start(name)
                except BaseException:
                    await asyncio.shield(self.ops.undo(made))  # only what this create made
                    raise
                await self.store.instances.set_status(name, InstanceStatus.RUNNING)
                yield report(step, StepState.DONE, "created; the container is starting")
                await self.guard.log_activity("create", Outcome.OK, name, ports, calls)
            except BaseException as exc:
                if instance is not None:
                    await asyncio.shield(self.store.instances.delete(name))
                cleanup = "Everything created was removed and the port pair is free again."
                reason = "cancelled" if isinstance(exc, asyncio.CancelledError) else str(exc)
                if isinstance(exc, ClaworcError):
                    await self.guard.log_activity("create", Outcome.FAILED, name, reason, calls)
                    if instance is None:
                        raise
                    raise OperationFailed(name, "create", step, reason, cleanup) from None
                raise

    def delete(self, name: str) -> AsyncIterator[Progress]:
        """Remove the container, the volumes and the keys folder, then the record."""
        return self._delete(name)

    async def _delete(self, name: str) -> AsyncIterator[Progress]:
        self.require_writable("delete an instance")
        instance = await self.store.instances.get(name)

        def report(index: int, detail: str | None = None) -> Progress:
            return Progress(
                operation="delete", name=name, step=DELETE_STEPS[index], index=index + 1,
                total=len(DELETE_STEPS), state=StepState.DONE, detail=detail,
            )  # fmt: skip

        async with self.locks.hold(name, "delete") as calls:
            await self.store.instances.set_status(
                name, InstanceStatus.DELETING, step="objects", owner=owner_id()
            )
            try:
                removed = await self.ops.delete(name)
            except (ClaworcError, OSError) as exc:
                detail = f"delete failed: {exc}"
                await self.store.instances.set_status(
                    name, InstanceStatus.ERROR, detail=detail + "; press D again to retry"
                )
                await self.guard.log_activity("delete", Outcome.FAILED, name, detail, calls)
                raise OperationFailed(
                    name, "delete", "objects", str(exc), "The row is kept in 'error'."
                ) from None
            yield report(0, "; ".join(removed) or "nothing was left")
            await self.store.instances.delete(name)
            pair = instance.node_ports
            ports = f"ports {pair[0]},{pair[1]} free" if pair else "no ports held (private)"
            yield report(1, ports)
            await self.guard.log_activity(
                "delete", Outcome.OK, name, f"removed {len(removed)}", calls
            )

    @property
    def ops(self) -> DockerInstances:
        """The engine operations."""
        return self.docker.ops

    # -- edits -------------------------------------------------------------------------------

    async def rebuild(self, instance: Instance, settings: GlobalSettings | None = None) -> None:
        """Make the container again from the record (volumes kept); started if it should run."""
        settings = settings or await self.store.settings.get()
        await self.ops.recreate(
            instance,
            image=instance.image or settings.image,
            keys=await self.store.effective_keys(instance.name),
            config_text=manifests.config_text(instance),
            start=instance.status is not InstanceStatus.STOPPED,
        )

    async def update_resources(self, name: str, resources: Resources) -> Instance:
        """Store the new limits and recreate the container with them (the data is kept)."""
        self.require_writable(f"change the resources of {name}")
        await self.check_cpus(resources)
        async with self.locks.hold(name, "resources") as calls:
            old = await self.store.instances.get(name)
            instance = await self.store.instances.set_resources(name, resources)
            try:
                # Shielded: a recreate cut by a cancel (the app quitting) could leave the old
                # container set aside under its temporary name.
                await asyncio.shield(self.rebuild(instance))
            except (ClaworcError, OSError) as exc:
                await self.store.instances.set_resources(name, old.resources)
                await self.guard.log_activity("resources", Outcome.FAILED, name, str(exc), calls)
                raise OperationFailed(
                    name, "resources", "recreate", str(exc), "The record keeps the old limits."
                ) from None
            detail = f"cpu {resources.cpu_limit}, memory {resources.memory_limit} (recreated)"
            await self.guard.log_activity("resources", Outcome.OK, name, detail, calls)
        return instance

    async def check_cpus(self, resources: Resources) -> None:
        """Refuse a CPU limit above the engine's CPU count (the engine would answer 400
        "Range of CPUs is from 0.01 to N" only once the container is being made).

        Raises:
            ValidationFailed: The limit is more than the host has.
        """
        info = await self.ops.engine.call("info")
        ncpu = int((info or {}).get("NCPU") or 0)
        limit = parse_quantity(resources.cpu_limit)
        if ncpu and limit > ncpu:
            raise ValidationFailed(
                "cpu_limit",
                f"{resources.cpu_limit} is more than this Docker engine has ({ncpu} CPUs); "
                f"Docker refuses a limit above {ncpu}",
            )

    async def update_config(self, name: str, text: str | None, *, restart: bool) -> Instance:
        """Store ``clawdbot.json`` and rewrite the mounted file (seen after a restart)."""
        self.require_writable(f"edit the config of {name}")
        try:
            config = validate_clawdbot_config(text)
        except ValueError as exc:
            raise ValidationFailed("clawdbot_config", str(exc)) from None
        async with self.locks.hold(name, "edit config") as calls:
            instance = await self.store.instances.set_config(name, config)
            self.ops.write_config(name, manifests.config_text(instance))
            # The single-file bind mount is made again at each start: a restart shows it.
            if restart and instance.status is InstanceStatus.RUNNING:
                await self.ops.restart(name)
            detail = "restarted" if restart else "stored; seen at the next restart"
            await self.guard.log_activity("edit config", Outcome.OK, name, detail, calls)
        return instance

    async def update_storage(self, name: str, storage: Storage) -> Instance:
        """Record new sizes: local Docker volumes have no size, nothing is enforced."""
        self.require_writable(f"resize the volumes of {name}")
        async with self.locks.hold(name, "resize") as calls:
            updated = await self.store.instances.set_storage(name, storage)
            await self.guard.log_activity(
                "resize", Outcome.OK, name, "recorded (not enforced)", calls
            )
        return updated

    async def set_override(self, name: str, provider: Provider, key: SecretStr | None) -> Instance:
        """Set or clear a per-instance key and rewrite the instance's key files."""
        self.require_writable(f"change the keys of {name}")
        async with self.locks.hold(name, "keys") as calls:
            instance = await self.store.instances.set_override(name, provider, key)
            self.ops.write_keys(name, await self.store.effective_keys(name))
            state = "set" if key else "cleared (global)"
            await self.guard.log_activity(
                "keys", Outcome.OK, name, f"{provider.label} key {state}", calls
            )
        return instance

    async def set_global_key(self, provider: Provider, key: SecretStr | None) -> list[str]:
        """Set or clear a global key; rewrite the key files of every instance inheriting it."""
        self.require_writable("change a global key")
        await self.store.settings.set_key(provider, key)
        inheriting = [i for i in await self.store.instances.list() if provider not in i.overrides]
        for instance in inheriting:
            self.ops.write_keys(instance.name, await self.store.effective_keys(instance.name))
        detail = f"{provider.label} global key {'set' if key else 'cleared'}"
        await self.guard.log_activity("global key", Outcome.OK, None, detail)
        return [i.name for i in inheriting if i.status is not InstanceStatus.STOPPED]

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

    # -- reading -----------------------------------------------------------------------------

    async def node_host(self, settings: GlobalSettings | None = None) -> str:
        """Where the published ports are reached: the bind address (loopback by default)."""
        settings = settings or await self.store.settings.get()
        if settings.node_host:
            return settings.node_host
        bound = self.ops.bind_address
        return "localhost" if bound in ("127.0.0.1", "0.0.0.0", "::", "") else bound

    async def urls(self, name: str) -> VncUrls:
        """Both noVNC URLs on this host."""
        instance = await self.store.instances.get(name)
        if instance.node_ports is None:
            note = docker_spec.private_note(name)
            return VncUrls(chrome=note, terminal=note)
        base = f"http://{await self.node_host()}:{{port}}/vnc.html?autoconnect=true"
        return VncUrls(
            chrome=base.format(port=instance.nodeport_chrome),
            terminal=base.format(port=instance.nodeport_terminal),
        )

    async def details(self, name: str, *, reread: bool = True) -> InstanceDetails:
        """The detail pane's data: status from the hub, objects from the engine."""
        return await docker_drift.details(self, name)

    async def delete_plan(self, name: str) -> list[ObjectRow]:
        """The container, volumes and folder a delete removes."""
        return await docker_drift.object_rows(self, name)

    async def drift(self) -> DriftReport:
        """Compare the records with the containers and volumes carrying our label."""
        return await docker_drift.find_drift(self)

    async def repair(self, items: Sequence[DriftItem]) -> RepairResult:
        """Re-create missing containers, start/stop to match, remove our strays."""
        self.require_writable("repair drift")
        return await docker_drift.repair(self, items)

    async def sweep(self) -> list[str]:
        """Finish or roll back what a dead process left mid-operation."""
        if self.read_only_reason:
            return []
        return await docker_drift.sweep(self)

    async def apply_advice(self, name: str, code: str) -> str:
        """Apply one advice's action (the crash loop's: this backend's previous run)."""
        if code == "crash-loop":
            lines = await self.previous_log_tail(name)
            return "\n".join(lines) or "(the previous run wrote nothing)"
        return await super().apply_advice(name, code)


async def _refused(command: str) -> AsyncIterator[Progress]:
    raise not_on_docker(command)
    yield  # an async generator: the refusal comes at the first step
