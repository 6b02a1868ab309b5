"""The cluster layer. aiohttp is imported first through :mod:`.http` (no CA bundle at import)."""

from claworc_tui.k8s import http as _http  # noqa: F401
