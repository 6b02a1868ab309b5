"""aiohttp, imported without loading the system's CA certificates up front.

``aiohttp.connector`` builds two default SSL contexts when it is imported, and each loads the
system CA bundle (``set_default_verify_paths``): ~25 ms of every start and ~2.4 MB of RSS
(BENCHMARKS.md, issue 17). Nothing of ours uses them: a Kubernetes connection gets the
context its kubeconfig describes (kubernetes_asyncio's ``rest.py`` passes one on every
connector) and the emulator and the Docker socket are plain. So the import runs with that
loading held back, and those two contexts load the certificates on their first handshake
instead: any code that does use aiohttp's defaults still verifies against the system store.

Import aiohttp through this module (``from claworc_tui.k8s.http import aiohttp``) in code that
may be the first to import it; :mod:`claworc_tui.k8s` and :mod:`claworc_tui.docker` import it
first thing, so their modules get this too.
"""

from __future__ import annotations

import ssl
import sys
from typing import Any


class _CertsOnFirstUse(ssl.SSLContext):
    """A default context whose CA certificates are loaded when it first wraps a connection."""

    def _load(self) -> None:
        self.__class__ = ssl.SSLContext  # type: ignore[assignment]
        self.set_default_verify_paths()

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self._load()
        return self.wrap_bio(*args, **kwargs)

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self._load()
        return self.wrap_socket(*args, **kwargs)


def _import() -> None:
    if "aiohttp.connector" in sys.modules:  # already imported (a test process): as it is
        return
    held: list[ssl.SSLContext] = []
    load = ssl.SSLContext.set_default_verify_paths

    def hold(context: ssl.SSLContext) -> None:
        held.append(context)

    ssl.SSLContext.set_default_verify_paths = hold  # type: ignore[method-assign,assignment]
    try:
        import aiohttp.connector
    finally:
        ssl.SSLContext.set_default_verify_paths = load  # type: ignore[method-assign]
    defaults = (aiohttp.connector._SSL_CONTEXT_VERIFIED, aiohttp.connector._SSL_CONTEXT_UNVERIFIED)
    for context in held:
        if type(context) is ssl.SSLContext and any(context is d for d in defaults):
            context.__class__ = _CertsOnFirstUse
        else:  # not one of those two: loaded now, as it asked
            load(context)


_import()

import aiohttp  # noqa: E402

__all__ = ["aiohttp"]
