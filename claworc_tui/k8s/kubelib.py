"""kubernetes_asyncio, without importing its ~1 500 generated modules up front.

The package's ``__init__`` files import every API class (67 modules) and every model
(``client/models``, ~1 450 modules), and even ``import kubernetes_asyncio.config`` runs them
(the top package imports ``client``, ``dynamic``, ``utils`` …). We use six of those classes and
never a model: every call is made with ``_preload_content=False`` and the JSON is read by us
(see :mod:`.transport`). Importing them all cost ~150 ms of every start and ~30 MB of RSS
(``python -X importtime``; BENCHMARKS.md, "Launch on a real terminal").

So the four package modules whose ``__init__`` pulls everything in are created without running
that ``__init__``; only the submodules we use are imported. Each deferred package runs its real
``__init__`` the first time something asks it for a name it does not have yet (a submodule is
imported on its own), so ``from kubernetes_asyncio import client; client.V1Pod`` still works
for any other code in the process (the emulator's tests use the full client).

If the library was already imported in full before this module (a test process), nothing is
deferred and the same names are taken from it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any

from claworc_tui.k8s import http as _http  # noqa: F401  (aiohttp first, without its CA bundle)

#: Packages whose ``__init__`` imports (nearly) the whole library, outermost first.
_DEFERRED = (
    "kubernetes_asyncio",
    "kubernetes_asyncio.client",
    "kubernetes_asyncio.client.api",
    "kubernetes_asyncio.client.models",
)
#: The classes we use, from their own modules; set on the deferred ``client`` package so that
#: ``from kubernetes_asyncio.client import ApiClient`` (in ``config`` and ``stream``) finds them
#: without running its ``__init__``.
_CLIENT_NAMES = {
    "Configuration": "kubernetes_asyncio.client.configuration",
    "ApiClient": "kubernetes_asyncio.client.api_client",
    "CoreV1Api": "kubernetes_asyncio.client.api.core_v1_api",
    "AppsV1Api": "kubernetes_asyncio.client.api.apps_v1_api",
    "AuthorizationV1Api": "kubernetes_asyncio.client.api.authorization_v1_api",
    "VersionApi": "kubernetes_asyncio.client.api.version_api",
}


def _deferred_package(name: str) -> ModuleType:
    """The package ``name`` as a module whose ``__init__`` runs on first need."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot find {name}")
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def __getattr__(attr: str) -> Any:
        sub = f"{name}.{attr}"
        if not attr.startswith("__") and (
            sub in sys.modules or importlib.util.find_spec(sub) is not None
        ):
            return importlib.import_module(sub)
        # Something wants a name only the real __init__ defines: run it, once.
        module.__dict__.pop("__getattr__", None)
        loader.exec_module(module)
        return getattr(module, attr)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


def _load() -> tuple[ModuleType, ModuleType, type[Any]]:
    if "kubernetes_asyncio" not in sys.modules:
        for name in _DEFERRED:
            _deferred_package(name)
    if "urllib3" not in sys.modules:
        # ``client.configuration`` imports urllib3 for one helper (``make_headers``, basic
        # auth): its package ``__init__`` (pool manager, connection pools, HTTP/2 probing) is
        # ~15 ms of every start. Deferred the same way: it runs when a name of its is wanted.
        _deferred_package("urllib3")
    client = sys.modules["kubernetes_asyncio.client"]
    for attr, module in _CLIENT_NAMES.items():
        if attr not in client.__dict__:
            setattr(client, attr, getattr(importlib.import_module(module), attr))
    config = importlib.import_module("kubernetes_asyncio.config")
    ws_client = importlib.import_module("kubernetes_asyncio.stream.ws_client")
    return client, config, ws_client.WsApiClient


k8s_client, k8s_config, WsApiClient = _load()
"""``kubernetes_asyncio.client`` (the classes in ``_CLIENT_NAMES``), ``kubernetes_asyncio.config``
and the websocket client (exec, attach)."""
