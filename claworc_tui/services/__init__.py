"""The service layer: records + cluster, composed for the TUI and the CLI (no Textual here).

:class:`Services` and :func:`open_services` live in :mod:`.opening`; they are named here as
before, but imported only when asked for (PEP 562). Importing this package runs nothing
else, so the modules the app's first frame needs (``views``, ``status``, ``store``,
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
