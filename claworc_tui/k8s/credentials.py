"""Loading the cluster's config the way kubectl does (kubeconfig, else in-cluster), and reloading
its credentials.

Separate from :mod:`.transport` so the connection code stays readable: this module only knows
what a config says (context, namespace, when exec-plugin credentials expire). Where it is, and
what can be checked of it without the client, is :mod:`.kubeconfig` (imported before the app's
first frame, so it imports nothing heavy).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from claworc_tui.k8s.errors import KubeConfigError
from claworc_tui.k8s.kubeconfig import NO_KUBECONFIG, find_kubeconfig
from claworc_tui.k8s.kubelib import k8s_client, k8s_config

_log = logging.getLogger(__name__)

DEFAULT_NAMESPACE = "claworc"
#: Reloads within this many seconds of the last one reuse it (many streams see one expiry).
_RELOAD_COALESCE = 1.0
#: Credentials the loader says expire within this many seconds are reloaded before a request.
_EXPIRY_MARGIN = 60.0
_SA_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def _incluster_namespace() -> str | None:
    """The namespace of the pod's service account, when running in a cluster."""
    try:
        return _SA_NAMESPACE.read_text().strip() or None
    except OSError:
        return None


@dataclass(frozen=True)
class LoadedConfig:
    """What a loaded config says beyond the connection settings it wrote."""

    context_name: str | None
    """The kubeconfig context in use (None in a cluster)."""
    namespace: str | None
    """The context's namespace (the service account's in a cluster), if it names one."""
    expires_at: float | None
    """When exec-plugin credentials expire (epoch seconds), if the loader says."""


async def load_config(
    configuration: Any, kubeconfig: str | os.PathLike[str] | None, context: str | None
) -> LoadedConfig:
    """Load the kubeconfig (or in-cluster config) into ``configuration``.

    Args:
        configuration: A kubernetes_asyncio ``Configuration``, filled in place.
        kubeconfig: An explicit path; by default found like kubectl does.
        context: The context to use; by default the kubeconfig's current one.

    Raises:
        KubeConfigError: No kubeconfig, an unknown context, or a broken file.
    """
    path = find_kubeconfig(kubeconfig)
    try:
        if path is None:
            k8s_config.load_incluster_config(client_configuration=configuration)
            return LoadedConfig(None, _incluster_namespace(), None)
        loader = await k8s_config.load_kube_config(
            config_file=path,
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
        current = loader.current_context or {}
        expiry = getattr(loader, "exec_plugin_expiry", None)
        return LoadedConfig(
            current.get("name"),
            (current.get("context") or {}).get("namespace"),
            expiry.timestamp() if isinstance(expiry, datetime) else None,
        )
    except (k8s_config.ConfigException, OSError, ValueError, KeyError, TypeError) as exc:
        if path is None:
            message = NO_KUBECONFIG.format(detail=exc)
        else:
            message = f"cannot load Kubernetes config from {path}: {exc}"
        raise KubeConfigError(message, reason="ConfigError") from None


class Credentials:
    """The config of one transport: loaded at start, its user reloaded after a 401 or before
    exec-plugin credentials expire (kubernetes_asyncio leaves refreshing to the caller).

    Args:
        kubeconfig: An explicit path; by default found like kubectl does.
        context: The context to use; by default the kubeconfig's current one.
    """

    def __init__(self, kubeconfig: str | os.PathLike[str] | None, context: str | None) -> None:
        self._kubeconfig = kubeconfig
        self._context = context
        self.context_name: str | None = None
        """The kubeconfig context in use (None in a cluster or before :meth:`load`)."""
        self._expires_at: float | None = None
        self._lock = asyncio.Lock()
        self._reloaded_at = -_RELOAD_COALESCE

    async def load(self, configuration: Any) -> str | None:
        """Load the config into ``configuration``; the namespace it names, if any.

        Raises:
            KubeConfigError: No kubeconfig, an unknown context, or a broken file.
        """
        loaded = await load_config(configuration, self._kubeconfig, self._context)
        self.context_name, self._expires_at = loaded.context_name, loaded.expires_at
        return loaded.namespace

    def expiring(self) -> bool:
        """True (once per expiry) when the loader said the credentials expire within a minute."""
        expires_at = self._expires_at
        if expires_at is not None and time.time() > expires_at - _EXPIRY_MARGIN:
            self._expires_at = None  # one reload per expiry, even if the plugin gives none
            return True
        return False

    async def reload(self, configuration: Any) -> bool:
        """Load the user's credentials again into the live ``configuration``.

        Many streams get the same 401 at once; the first reloads, the others use its result.

        Returns:
            True if the credentials changed (or were just reloaded): worth trying again.
        """
        async with self._lock:
            if time.monotonic() - self._reloaded_at < _RELOAD_COALESCE:
                return True
            before = dict(configuration.api_key)
            fresh = type.__call__(k8s_client.Configuration)
            try:
                await self.load(fresh)
            except KubeConfigError as exc:
                _log.warning("reloading credentials failed: %s", exc)
                return False
            self._reloaded_at = time.monotonic()
            configuration.api_key = dict(fresh.api_key)
            configuration.username, configuration.password = fresh.username, fresh.password
            changed: bool = configuration.api_key != before
            _log.info("credentials reloaded (%s)", "changed" if changed else "unchanged")
            return changed
