"""Where the kubeconfig is, and what can be checked of it without the client.

Nothing here imports kubernetes_asyncio or aiohttp: the app checks this before its first frame
(see :mod:`claworc_tui.services.launch`), and loads the kubeconfig itself (YAML, the context,
the credentials) only with the client, after that frame.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from claworc_tui.k8s.errors import KubeConfigError

NO_KUBECONFIG = (
    "cannot load Kubernetes config: no kubeconfig ($KUBECONFIG is unset and ~/.kube/config "
    "does not exist) and not running in a cluster ({detail}); to run the instances on this "
    "host's Docker engine instead: --runtime docker"
)
"""The message when there is neither a kubeconfig nor an in-cluster config (``{detail}``: why
the in-cluster one failed)."""


def find_kubeconfig(explicit: str | os.PathLike[str] | None) -> str | None:
    """Where kubectl would read its config: the explicit path, ``$KUBECONFIG``, ``~/.kube/config``.

    Returns:
        The path (or ``:``-separated list from ``$KUBECONFIG``), or None to try in-cluster config.
    """
    if explicit is not None:
        return os.fspath(explicit)
    # Read at call time: kubernetes_asyncio's own default was frozen when it was imported.
    env = os.environ.get("KUBECONFIG")
    if env:
        return env
    home = Path.home() / ".kube" / "config"
    return str(home) if home.exists() else None


def check_kubeconfig(
    explicit: str | os.PathLike[str] | None, environ: Mapping[str, str] | None = None
) -> None:
    """Refuse, with the reason, a kubeconfig that surely cannot be used: one file that does not
    exist or cannot be read, or none at all outside a cluster. What needs the file parsed (its
    YAML, the context, the credentials) is left to the client's loader.

    Raises:
        KubeConfigError: As the client's loader would, with a plainer message.
    """
    env = os.environ if environ is None else environ
    path = find_kubeconfig(explicit)
    if path is None:
        if not env.get("KUBERNETES_SERVICE_HOST"):
            detail = "KUBERNETES_SERVICE_HOST is not set"
            raise KubeConfigError(NO_KUBECONFIG.format(detail=detail), reason="ConfigError")
        return
    if os.pathsep in path:  # a $KUBECONFIG list: files that are missing are skipped (kubectl)
        return
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise KubeConfigError(
            f"cannot load Kubernetes config from {path}: {reason}", reason="ConfigError"
        ) from None
