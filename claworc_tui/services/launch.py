"""Starting the app from the records: what is opened before its first frame, and what after.

The first frame needs only the records: the SQLite file (opened in milliseconds) and the key
check. Opening the cluster is the slow part of a start: importing the client (aiohttp and
kubernetes_asyncio, ~0.1 s of CPU), loading the kubeconfig, then the start-up checks' round
trips (permissions, the namespace, the sweep). So the app draws the list from the records at
once (:func:`open_records`; each row says its status is not known yet, and the header says
"connecting") and opens the cluster after that frame (:func:`connect`); the live status then
fills in. Issue 17: launch → list on screen.

What is checked before the first frame, and what after it:

* **The database and the key**: before. A file that cannot be opened or a wrong key ends the
  start with the message and exit code 1 before the terminal is taken.
* **The kubeconfig**: what can be told without parsing it, before (:func:`check_kubeconfig`:
  a file that does not exist or cannot be read, or no kubeconfig at all outside a cluster).
  What needs the client's loader (the YAML, an unknown ``--context``, the credentials) comes
  after the first frame; the app then ends itself and prints the same message, exit code 1,
  as before: without a cluster client it could only show the records, and a wrong context or
  file is fixed on the command line.
* **The Docker engine** (``--runtime docker``): after, the same way.
"""

from __future__ import annotations

import asyncio
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from claworc_tui.config import Settings
from claworc_tui.k8s.kubeconfig import check_kubeconfig
from claworc_tui.models.errors import ClaworcError
from claworc_tui.services.errors import configured_reason
from claworc_tui.services.runtime import RuntimeKind, choose_runtime
from claworc_tui.services.status import merge
from claworc_tui.services.store import Store, open_store
from claworc_tui.services.views import InstanceView

if TYPE_CHECKING:
    from claworc_tui.services.opening import Services

#: What :func:`connect` imports, in this order, one step at a time: aiohttp's own dependencies,
#: aiohttp (through ``k8s.http``), the six kubernetes_asyncio modules we use (with yaml,
#: dateutil), then our client and services. ~0.15-0.2 s of CPU in all, each step 5-50 ms.
CLIENT_MODULES = (
    "multidict",
    "yarl",
    "attr",
    "claworc_tui.k8s.http",
    "yaml",
    "claworc_tui.k8s.kubelib",
    "claworc_tui.k8s.client",
    "claworc_tui.services.instances",
    "claworc_tui.services.reach",
    "claworc_tui.services.opening",
)


class NotConnected(ClaworcError):
    """The cluster is still being connected to: what needs it waits for that."""

    def __init__(self) -> None:
        super().__init__("still connecting to the cluster: try again in a moment")


@dataclass
class Launch:
    """What is open before the first frame: the records, and what is known without the cluster."""

    config: Settings
    store: Store
    """The open records; the caller's to close until :func:`connect` hands them to services."""
    runtime: RuntimeKind
    views: tuple[InstanceView, ...]
    """Every instance from its record, by name; status "not known yet"."""

    @property
    def read_only_reason(self) -> str | None:
        """Why writes are disabled, as far as it is known before the cluster (``--read-only``)."""
        return configured_reason(self.config.read_only)


async def open_records(config: Settings) -> Launch:
    """Open the records and read the instances; check what of the backend can be checked cheaply.

    Raises:
        ClaworcError: The database or the key cannot be used, or the kubeconfig surely cannot
            be (the message says why). Nothing is left open.
    """
    runtime = choose_runtime(config.runtime, config.kubeconfig)
    if runtime is RuntimeKind.KUBERNETES:
        check_kubeconfig(config.kubeconfig)
    store = await open_store(config, read_only=config.read_only)
    try:
        records = await store.instances.list()
    except ClaworcError:
        records = []  # the fleet stream reads them again, and says why it cannot
    except BaseException:
        await store.aclose()
        raise
    views = tuple(merge(record, (), known=False) for record in records)
    return Launch(config=config, store=store, runtime=runtime, views=views)


async def connect(launch: Launch) -> Services:
    """Open the cluster (or the engine) on the launch's records, and start the live status.

    The client's modules are imported on the loop in steps (:data:`CLIENT_MODULES`), giving
    the loop back between them, so keys and frames wait for one step at most, not for the
    whole import. (A thread was tried: the loop, which lets go of the GIL at every poll, then
    waited up to the switch interval to get it back each time; the footer of the first frame
    came 0.8 s late at load 10.)

    Raises:
        ClaworcError: The kubeconfig or the engine cannot be used. The records stay open (the
            caller's), as they do when this is cancelled.
    """
    for name in CLIENT_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # a dependency's dependency that is no longer there: no matter
            if name.startswith("claworc_tui."):
                raise
        await asyncio.sleep(0.001)  # let keys and frames through
    from claworc_tui.services.opening import open_services

    services = await open_services(launch.config, store=launch.store)
    try:
        await services.instances.list_views()  # starts the pod list now
    except ClaworcError:
        pass  # the fleet stream says why, on screen
    except BaseException:
        await services.close_runtime()
        raise
    return services
