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
  has a remedy carries it as data (:attr:`~claworc_tui.models.errors.ClaworcError.advice`, a
  :class:`~claworc_tui.models.remedy.Remedy` and what it applies to), and the UI and the CLI
  word it (``ui/remedies.py``, ``cli/remedies.py``).
* :func:`open_services` (and :func:`.docker_open.open_docker_services`) open the records and the
  cluster or engine client and hand the UI and the CLI a :class:`.bundle.Services`.

:func:`open_services` lives in :mod:`.opening` (:class:`Services` in :mod:`.bundle`); both are
named here as before, but imported only when asked for (PEP 562). Importing this package runs
nothing else, so the modules the app's first frame needs (``views``, ``status``, ``store``,
``launch``) load without the cluster client, aiohttp and kubernetes_asyncio: the first frame
is drawn from the records, and the cluster is opened after it (see :mod:`.launch`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from claworc_tui.services.opening import READS_ONLY, Services, open_services

__all__ = ["READS_ONLY", "Services", "open_services"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from claworc_tui.services import opening

        return getattr(opening, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
