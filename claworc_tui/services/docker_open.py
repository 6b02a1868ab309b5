"""Opening the services on the Docker runtime: the records, one engine, the Docker service.

The engine is found as the ``docker`` CLI finds it (``DOCKER_HOST``, else the default socket);
a missing socket or one we may not open stops here with what to do. Each instance's private
folder (keys, ``clawdbot.json``) lives beside the database, in ``docker/``, owner-only.
"""

from __future__ import annotations

from claworc_tui.config import Settings
from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.services.bundle import Services, start_up
from claworc_tui.services.docker_runtime import DockerRuntime
from claworc_tui.services.docker_service import DockerInstanceService
from claworc_tui.services.errors import configured_reason
from claworc_tui.services.store import Store, open_store


async def open_docker_services(
    config: Settings, *, sweep: bool = True, reads_only: bool = False, store: Store | None = None
) -> Services:
    """Open the records and the engine (see the module docstring).

    ``store``: the records, already open; the caller's to close if this raises (as in
    :func:`~claworc_tui.services.opening.open_services`).

    Raises:
        EngineUnavailable: No engine answers (socket missing, permission denied …).
        ClaworcError: The database cannot be used.
    """
    no_writes = reads_only or config.read_only
    given = store
    engine = DockerEngine()
    await engine.start()
    if store is None:
        try:
            store = await open_store(config, read_only=no_writes)
        except BaseException:
            await engine.aclose()
            raise
    ops = DockerInstances(
        engine,
        config.db.parent / "docker",
        owner=store.owner_id,
        bind_address=config.docker_bind_address,
        network=config.docker_network,
        privileged=config.docker_privileged,
    )
    instances = DockerInstanceService(
        store,
        DockerRuntime(ops),
        read_only_reason=configured_reason(config.read_only, reads_only),
        log_buffer_lines=config.log_buffer_lines,
    )
    services = Services(
        config=config,
        kube=None,
        instances=instances,
        warnings=list(store.warnings),
        engine_host=engine.host,
    )
    return await start_up(services, sweep=sweep, prune=not no_writes, given_store=given is not None)
