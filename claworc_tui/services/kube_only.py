"""The commands that exist only on the Kubernetes runtime, and what to do instead on Docker.

They act on Kubernetes objects (a Deployment's rollout, a namespace's instances, a pod's exec and
port-forward, a Service's type). On Docker they are refused at the point of entry — exit code 2
in the CLI, a message in the TUI — before anything is read or written.
"""

from __future__ import annotations

from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.remedy import Advice, Remedy

INSTEAD = {
    "redeploy": "the container's image is the instance's or the Settings' image; change it "
    "there and the next re-create (resources, repair) uses it",
    "adopt": "adopt takes over instances found in a Kubernetes namespace",
    "forget": "forget drops a record another database adopted from a Kubernetes namespace",
    "shell": "use `docker exec -it claworc-NAME sh`",
    "forward": "the VNC ports are already published on this host",
    "expose": "the ports are published on CLAWORC_DOCKER_BIND_ADDRESS (127.0.0.1 by default)",
}
"""Command → what to do on Docker instead."""
REMEDIES = {"forward": Remedy.OPEN_URL}
"""Command → the remedy each front end words (a key, a command) where there is one."""


def not_on_docker(command: str, name: str | None = None) -> ValidationFailed:
    """The refusal of a Kubernetes-only ``command`` (on instance ``name``) on Docker."""
    refusal = ValidationFailed(
        "runtime",
        f"{command} works on the Kubernetes runtime only; this database runs on Docker "
        f"({INSTEAD[command]})",
    )
    remedy = REMEDIES.get(command)
    return refusal.advising(Advice(remedy, name)) if remedy else refusal
