"""Opening the services: the records and the cluster client, composed for the TUI and the CLI.

Named in the package as ``claworc_tui.services.Services`` / ``open_services``; this module imports
the cluster client (aiohttp, kubernetes_asyncio), which the app imports only after its first
frame (see :mod:`.launch`).
"""

from __future__ import annotations

import asyncio

from claworc_tui.config import Settings
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeError, KubeForbidden, KubeTimeout, KubeUnreachable
from claworc_tui.services.bundle import READS_ONLY, Services, start_up
from claworc_tui.services.errors import configured_reason
from claworc_tui.services.instances import InstanceService
from claworc_tui.services.ops import record_call
from claworc_tui.services.reach import ReachService
from claworc_tui.services.runtime import RuntimeKind, choose_runtime
from claworc_tui.services.store import Store, open_store

__all__ = ["READS_ONLY", "Services", "open_services"]


async def _read_only_reason(kube: KubeClient) -> tuple[str | None, list[str], bool]:
    """(why writes are off, warnings, whether the API server answered): RBAC's answer."""
    try:
        permissions = await kube.cluster.can_i()
    except (KubeUnreachable, KubeTimeout) as exc:
        return None, [f"the cluster is not reachable yet: {exc}"], False
    except KubeError as exc:
        return None, [f"could not check permissions: {exc}"], True
    if permissions.read_only:
        denied = ", ".join(f"{p.verb} {p.resource}" for p in permissions.denied[:4])
        return f"RBAC allows no changes in {kube.namespace} (denied: {denied})", [], True
    warnings = [
        f"RBAC denies {p.verb} {p.resource}: actions that need it will fail"
        for p in permissions.denied
    ]
    return None, warnings, True


STARTUP_WAIT = 5.0
"""Seconds the start-up checks (permissions, namespace) wait for the API server; a server
that does not answer by then is treated as unreachable, so the app shows without it."""


async def open_services(
    config: Settings, *, sweep: bool = True, reads_only: bool = False, store: Store | None = None
) -> Services:
    """Open the records and the cluster client, detect read-only mode, sweep stuck rows.

    A cluster that cannot be reached does not stop the app: the records are shown and the
    connection banner says so; the watch keeps retrying.

    ``reads_only`` (a command that only reads) and ``--read-only`` change nothing, in the
    database or the cluster: the file is opened read-only, no namespace is created, the sweep
    and the activity-log pruning do not run. Otherwise the sweep runs and ``swept`` says what
    it did.

    ``store``: the records, already opened (the app opens them before its first frame, see
    :mod:`.launch`). They stay the caller's to close if this raises, and are the returned
    services' (closed by :meth:`Services.aclose`) once it returns.

    Raises:
        ClaworcError: The database or the kubeconfig cannot be used (the message says why).
    """
    no_writes = reads_only or config.read_only
    if choose_runtime(config.runtime, config.kubeconfig) is RuntimeKind.DOCKER:
        from claworc_tui.services.docker_open import open_docker_services

        return await open_docker_services(config, sweep=sweep, reads_only=reads_only, store=store)
    given = store
    if store is None:
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
        reason = configured_reason(config.read_only, reads_only)
        warnings: list[str] = []
        reachable = True
        if reason is None:
            try:
                reason, warnings, reachable = await asyncio.wait_for(
                    _read_only_reason(kube), STARTUP_WAIT
                )
            except TimeoutError:
                reason, warnings, reachable = None, [_no_answer(kube)], False
        if reason is None and reachable:
            try:
                await asyncio.wait_for(kube.cluster.ensure_namespace(), STARTUP_WAIT)
            except (KubeUnreachable, KubeTimeout, TimeoutError):
                warnings.append(_no_answer(kube))
                reachable = False
            except KubeForbidden as exc:
                warnings.append(str(exc))
    except BaseException:
        await kube.aclose()
        if given is None:
            await store.aclose()
        raise
    instances = InstanceService(
        store, kube, read_only_reason=reason, log_buffer_lines=config.log_buffer_lines
    )
    services = Services(
        config=config,
        kube=kube,
        instances=instances,
        warnings=[*store.warnings, *warnings],
        reach=ReachService(store, kube, read_only_reason=reason),
        cluster_reachable=reachable,
    )
    return await start_up(
        services,
        sweep=sweep,
        prune=not no_writes,
        given_store=given is not None,
        sweep_faults=(KubeError,),
    )


def _no_answer(kube: KubeClient) -> str:
    server = kube.transport.server_url or "the API server"
    return (
        f"the cluster is not reachable yet: {server} did not answer "
        f"within {STARTUP_WAIT:g} s (showing the records; the connection is retried)"
    )
