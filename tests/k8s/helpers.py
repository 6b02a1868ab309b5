"""Helpers for the k8s tests against the emulator: pod lookups and applying an instance."""

from __future__ import annotations

from claworc_emulator import EmulatorServer
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.manifests import effective_keys
from claworc_tui.models.instance import Instance
from tests.k8s.factories import GLOBAL_KEYS, make_settings

NS = "claworc"


def pods_of(emulator: EmulatorServer, instance: str) -> list[dict[str, object]]:
    """The emulator's pods of one instance (by the ``app`` label)."""
    return [
        p
        for p in emulator.objects("pods", NS)
        if (p.get("metadata") or {}).get("labels", {}).get("app") == instance
    ]


def running_pod(emulator: EmulatorServer, instance: str) -> str | None:
    """Name of the instance's Running, not-deleting pod, if any."""
    for p in pods_of(emulator, instance):
        meta, status = p["metadata"], p.get("status") or {}
        assert isinstance(meta, dict)
        assert isinstance(status, dict)
        if status.get("phase") == "Running" and not meta.get("deletionTimestamp"):
            return str(meta["name"])
    return None


async def apply(kube: KubeClient, instance: Instance) -> None:
    """Create every object of ``instance`` with the default settings and global keys."""
    await kube.instances.apply_instance_objects(
        instance, make_settings(), effective_keys({}, GLOBAL_KEYS)
    )


def throttle_pod_lists(emulator: EmulatorServer, retry_after: int) -> None:
    """Answer the next list of pods 429 TooManyRequests with ``Retry-After: retry_after``, as the
    API server's priority and fairness does when a client asks too much."""
    emulator.inject_failure(
        "GET",
        rf"^/api/v1/namespaces/{NS}/pods$",
        status=429,
        reason="TooManyRequests",
        message="too many requests, please try again later",
        retry_after=retry_after,
    )
