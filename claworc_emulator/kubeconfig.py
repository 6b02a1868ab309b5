"""Rendering a kubeconfig file that points at the emulator."""

from __future__ import annotations

import json


def render(url: str, token: str, namespace: str, context: str) -> str:
    """A kubeconfig (JSON, which is YAML) for ``url`` with a bearer ``token``, one context named
    ``context`` whose namespace is ``namespace``.
    """
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": {"server": url}}],
        "users": [{"name": f"{context}-user", "user": {"token": token}}],
        "contexts": [
            {
                "name": context,
                "context": {"cluster": context, "user": f"{context}-user", "namespace": namespace},
            }
        ],
        "current-context": context,
        "preferences": {},
    }
    # JSON is valid YAML, so any kubeconfig loader reads it.
    return json.dumps(config, indent=2) + "\n"
