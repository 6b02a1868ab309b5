"""The service layer: records + cluster, composed for the TUI and the CLI (no Textual here).

How it is put together (issue 15, "services as collaborators"):

* One class per concern, given only the collaborators it needs: :class:`.lifecycle.
  LifecycleService` (create, delete, rollback), :class:`.power.PowerService` (start, stop,
  restart), :class:`.edits.EditService` (config, resources, volumes, keys),
  :class:`.global_settings.SettingsService`, :class:`.details.DetailsService` (detail pane,
  delete plan, URLs), :class:`.advice.AdviceService`, :class:`.drift.DriftService`,
  :class:`.sweep.SweepService`, :class:`.adopt_apply.AdoptService` (adopt, forget, with
  :class:`.adopt.AdoptPlanner`), :class:`.clone.CloneService`, :class:`.redeploy.
  RedeployService`, :class:`.records.RecordsService` (export, import), :class:`.logs.
  LogService`; what every write shares (read-only check, operation locks, activity log) is one
  :class:`.ops.WriteGuard`. No service imports the composition back, and no module of the
  package imports another in a cycle (an import-linter ``acyclic_siblings`` contract).
* What Kubernetes and Docker do differently is typed by the Protocols of :mod:`.parts`
  (``Lifecycle``, ``Edits``, ``Inspection``, ``Drift``, ``Sweeper``); Docker's are in the
  ``docker_*`` modules.
* :class:`.instances.InstanceService` is the composition root: it builds the parts (Docker's
  in :class:`.docker_service.DockerInstanceService`) and keeps the one API the UI and the CLI
  call, each method a one-line hand-over to its part. We kept that surface, rather than have
  the UI and the CLI call the parts, so their code did not change; a new operation is a method
  on the part that owns it plus one line here.
* Services say *what* happened, not which key to press or which command to run: a failure that
  has a remedy carries it as :class:`.errors.Remedy`, and the UI and the CLI word it.
* :func:`open_services` (and :func:`.docker_open.open_docker_services`) open the records and the
  cluster or engine client and hand the UI and the CLI a :class:`.bundle.Services`.
"""

from __future__ import annotations

import asyncio
import logging

from claworc_tui.config import Settings
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeError, KubeForbidden, KubeTimeout, KubeUnreachable
from claworc_tui.services.bundle import READS_ONLY, Services
from claworc_tui.services.instances import InstanceService
from claworc_tui.services.ops import record_call
from claworc_tui.services.reach import ReachService
from claworc_tui.services.runtime import RuntimeKind, choose_runtime
from claworc_tui.services.store import open_store

log = logging.getLogger(__name__)

__all__ = ["READS_ONLY", "Services", "open_services"]


async def _read_only_reason(config: Settings, kube: KubeClient) -> tuple[str | None, list[str]]:
    if config.read_only:
        return "the app runs with --read-only", []
    try:
        permissions = await kube.can_i()
    except (KubeUnreachable, KubeTimeout) as exc:
        return None, [f"the cluster is not reachable yet: {exc}"]
    except KubeError as exc:
        return None, [f"could not check permissions: {exc}"]
    if permissions.read_only:
        denied = ", ".join(f"{p.verb} {p.resource}" for p in permissions.denied[:4])
        return f"RBAC allows no changes in {kube.namespace} (denied: {denied})", []
    warnings = [
        f"RBAC denies {p.verb} {p.resource}: actions that need it will fail"
        for p in permissions.denied
    ]
    return None, warnings


STARTUP_WAIT = 5.0
"""Seconds the start-up checks (permissions, namespace) wait for the API server; a server
that does not answer by then is treated as unreachable, so the app shows without it."""


async def open_services(
    config: Settings, *, sweep: bool = True, reads_only: bool = False
) -> Services:
    """Open the records and the cluster client, detect read-only mode, sweep stuck rows.

    A cluster that cannot be reached does not stop the app: the records are shown and the
    connection banner says so; the watch keeps retrying.

    ``reads_only`` (a command that only reads) and ``--read-only`` change nothing, in the
    database or the cluster: the file is opened read-only, no namespace is created, the sweep
    and the activity-log pruning do not run. Otherwise the sweep runs and ``swept`` says what
    it did.

    Raises:
        ClaworcError: The database or the kubeconfig cannot be used (the message says why).
    """
    no_writes = reads_only or config.read_only
    if choose_runtime(config.runtime, config.kubeconfig) is RuntimeKind.DOCKER:
        from claworc_tui.services.docker_open import open_docker_services

        return await open_docker_services(config, sweep=sweep, reads_only=reads_only)
    store = await open_store(config, read_only=no_writes)
    kube = KubeClient(
        kubeconfig=config.kubeconfig,
        context=config.context,
        namespace=config.namespace,
        on_call=record_call,
    )
    kube.owner_id = store.owner_id
    try:
        await kube.start()
        reason: str | None
        warnings: list[str]
        if reads_only and not config.read_only:
            reason, warnings = READS_ONLY, []
        else:
            try:
                reason, warnings = await asyncio.wait_for(
                    _read_only_reason(config, kube), STARTUP_WAIT
                )
            except TimeoutError:
                reason, warnings = None, [_no_answer(kube)]
        if reason is None and not _unreachable(warnings):
            try:
                await asyncio.wait_for(kube.ensure_namespace(), STARTUP_WAIT)
            except (KubeUnreachable, KubeTimeout, TimeoutError):
                warnings.append(_no_answer(kube))
            except KubeForbidden as exc:
                warnings.append(str(exc))
    except BaseException:
        await kube.aclose()
        await store.aclose()
        raise
    instances = InstanceService(
        store, kube, read_only_reason=reason, log_buffer_lines=config.log_buffer_lines
    )
    services = Services(
        config=config,
        store=store,
        kube=kube,
        instances=instances,
        read_only_reason=reason,
        warnings=[*store.warnings, *warnings],
        reach=ReachService(store, kube, read_only_reason=reason),
    )
    try:
        if sweep and reason is None and not _unreachable(warnings):
            try:
                services.swept = await instances.sweep()
            except KubeError as exc:
                services.warnings.append(f"start-up sweep failed: {exc}")
        for line in services.swept:
            log.info("sweep: %s", line)
        if not no_writes:
            await store.activity.prune()
    except BaseException:  # cancelled (Ctrl+C while connecting) or failed: close what we opened
        await services.aclose()
        raise
    return services


def _no_answer(kube: KubeClient) -> str:
    return (
        f"the cluster is not reachable yet: {kube.server_url or 'the API server'} did not answer "
        f"within {STARTUP_WAIT:g} s (showing the records; the connection is retried)"
    )


def _unreachable(warnings: list[str]) -> bool:
    return any("not reachable" in w for w in warnings)
