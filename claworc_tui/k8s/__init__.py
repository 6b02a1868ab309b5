"""The cluster layer.

aiohttp is imported through :mod:`.http` (no CA bundle at import) by the modules that use it
(``errors``, ``transport``, ``podstreams``, ``kubelib``). The package itself imports nothing, so
the runtime-neutral modules (``pods``, ``objects``, ``manifests``) load without aiohttp: the
first frame of the app is drawn from the records before the cluster client is imported.
"""
