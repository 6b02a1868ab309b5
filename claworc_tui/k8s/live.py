"""Every object of an instance as the API server has it, for the YAML view — secret values masked.

Masking happens here, at the boundary, so no secret value ever leaves the k8s package through
this path: a Secret's ``data``/``stringData`` values become ``<masked: N bytes>``, and the
``last-applied-configuration`` annotation (which holds the whole object, values included, when
someone ran ``kubectl apply``) is masked on Secrets too. ``managedFields`` are dropped from every
object, as ``kubectl get -o yaml`` does.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import copy
import os
from typing import Any

from pydantic import BaseModel, ConfigDict

from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeForbidden
from claworc_tui.k8s.kubeconfig import find_kubeconfig
from claworc_tui.k8s.kubelib import k8s_config
from claworc_tui.k8s.objects import Json, event_info
from claworc_tui.models.cluster import EventInfo
from claworc_tui.models.names import object_names

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
#: (kind, role in object_names) in the order the view lists them.
_ORDER = (
    ("Deployment", "deployment"),
    ("Service", "service"),
    ("ConfigMap", "configmap"),
    ("Secret", "secret"),
    ("PersistentVolumeClaim", "pvc_clawdbot"),
    ("PersistentVolumeClaim", "pvc_homebrew"),
    ("PersistentVolumeClaim", "pvc_clawd"),
    ("PersistentVolumeClaim", "pvc_chrome"),
)


class LiveObject(BaseModel):
    """One object of an instance; ``doc`` is None when it does not exist."""

    model_config = ConfigDict(frozen=True)

    kind: str
    name: str
    doc: dict[str, Any] | None


def _size(value: object, encoded: bool) -> int:
    text = str(value)
    if encoded:
        try:
            return len(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            return len(text)
    return len(text.encode())


def masked(kind: str, doc: Json) -> Json:
    """A copy of ``doc`` fit to show: no managedFields, and a Secret's values masked."""
    out = copy.deepcopy(doc)
    out.setdefault("kind", kind)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    if kind != "Secret":
        return out
    for field, encoded in (("data", True), ("stringData", False)):
        values = out.get(field)
        if isinstance(values, dict):
            out[field] = {k: f"<masked: {_size(v, encoded)} bytes>" for k, v in values.items()}
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if isinstance(annotations, dict) and LAST_APPLIED in annotations:
        annotations[LAST_APPLIED] = "<masked>"
    return out


async def live_objects(kube: KubeClient, name: str) -> list[LiveObject]:
    """The instance's objects and pods, read concurrently (missing ones with ``doc=None``).

    Raises:
        KubeError: A read failed for another reason than not found.
    """
    names = object_names(name)
    reads = [kube.objects.get_or_none(kind, names[role]) for kind, role in _ORDER]
    pods_read = kube.objects.list("Pod", label_selector=f"app={name}")
    *docs, pods_doc = await asyncio.gather(*reads, pods_read)
    pods: Json = pods_doc or {}
    found = [
        LiveObject(kind=kind, name=names[role], doc=masked(kind, doc) if doc else None)
        for (kind, role), doc in zip(_ORDER, docs, strict=True)
    ]
    for pod in pods.get("items") or []:
        pod_name = str((pod.get("metadata") or {}).get("name", "?"))
        found.insert(1, LiveObject(kind="Pod", name=pod_name, doc=masked("Pod", pod)))
    return found


async def namespace_events(kube: KubeClient, limit: int = 500) -> list[EventInfo]:
    """The namespace's events, newest first (at most ``limit``).

    Raises:
        KubeError: The list failed (forbidden, unreachable …).
    """
    doc = await kube.transport.call(
        "list", "events", "list_namespaced_event", namespace=kube.namespace
    )
    events = [event_info(item) for item in doc.get("items") or []]
    events.sort(key=lambda e: e.last_time.timestamp() if e.last_time else 0.0, reverse=True)
    return events[:limit]


def list_contexts(kubeconfig: str | os.PathLike[str] | None) -> list[str]:
    """The context names of the kubeconfig kubectl would use (blocking: a file read).

    Returns:
        The names; empty when there is no kubeconfig (in a cluster) or it cannot be read.
    """
    path = find_kubeconfig(kubeconfig)
    if path is None:
        return []
    try:
        contexts, _current = k8s_config.list_kube_config_contexts(config_file=path.split(":")[0])
    except (k8s_config.ConfigException, OSError, ValueError, KeyError, TypeError):
        return []
    return sorted(str(c.get("name")) for c in contexts or [] if isinstance(c, dict))


async def list_namespaces(kube: KubeClient) -> list[str]:
    """Namespace names, or an empty list when the user may not list them."""
    try:
        doc = await kube.transport.call("list", "namespaces", "list_namespace")
    except KubeForbidden:
        return []
    return sorted(str((n.get("metadata") or {}).get("name")) for n in doc.get("items") or [])


async def check_namespace(kube: KubeClient, namespace: str) -> None:
    """Make sure ``namespace`` exists and its pods may be listed.

    Raises:
        KubeNotFound: The namespace does not exist.
        KubeForbidden: The user may not list pods there.
        KubeError: The cluster could not be asked.
    """
    # Reading namespaces is cluster-scoped: many users may not, and still work in one.
    with contextlib.suppress(KubeForbidden):
        await kube.transport.call("get", "namespaces", "read_namespace", name=namespace)
    await kube.transport.call("list", "pods", "list_namespaced_pod", namespace=namespace, limit=1)
