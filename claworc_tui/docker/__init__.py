"""The Docker backend: instances as containers on one engine, through aiodocker.

The same layer as :mod:`claworc_tui.k8s` (only this package imports ``aiodocker``); it reuses
the runtime-neutral pieces of ``k8s`` (the backoff, the log line splitter, the informer's event
shapes and :class:`~claworc_tui.models.pod.PodInfo`), so the services read both backends alike.
"""

from claworc_tui.k8s import http as _http  # noqa: F401  (aiohttp without its CA bundle)
