"""How an instance's noVNC pages are reached."""

from __future__ import annotations

from enum import StrEnum


class Exposure(StrEnum):
    """``nodeport``: a NodePort pair on every node (the Claworc spec's default). ``private``: a
    ClusterIP Service only; the pages are reached through a port-forward the app opens."""

    NODEPORT = "nodeport"
    PRIVATE = "private"
