"""The Kubernetes objects of one instance, as plain JSON-ready dicts.

Pure functions, no I/O: an :class:`~claworc_tui.models.instance.Instance` plus the
:class:`~claworc_tui.models.settings.GlobalSettings` (and, for the Secret, the API keys) go in, the
manifests of the primary spec's "Kubernetes Resources per Instance" come out, with the README's
corrections: objects are named from the instance name itself (``bot-alpha``, never
``bot-bot-alpha``), there is a fourth PVC ``-chrome``, and the image is a setting.

Every object carries ``app: {name}`` and ``managed-by: claworc``. The spec shows the second
label only on the Deployment; we put it everywhere (pod template included) so that one label
selector finds every object of the app, orphans included, and the pod watch can select on it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import TypeAlias

from pydantic import SecretStr

from claworc_tui.k8s.ownership import OWNER_KEY, instance_annotations
from claworc_tui.models.cluster import ExpectedShape
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import STORAGE_ROLES, Instance, InstanceStatus, Provider
from claworc_tui.models.names import object_names
from claworc_tui.models.settings import GlobalSettings

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"
Manifest: TypeAlias = dict[str, JsonValue]

MANAGED_BY = "managed-by"
MANAGER = "claworc"
#: Which claworc database created an object: a random id kept in that database's settings, so
#: two databases sharing a namespace never take each other's objects for orphans.
OWNER_LABEL = OWNER_KEY
#: The label selector matching every object (and pod) the app manages.
MANAGED_SELECTOR = f"{MANAGED_BY}={MANAGER}"
CONTAINER = "moltbot"
CHROME_PORT = 6081
TERMINAL_PORT = 6082
CONFIG_KEY = "clawdbot.json"
EMPTY_CONFIG = "{}"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"

#: (volume name, mount path, PVC role) of the four persistent volumes, in the spec's mount order.
PVC_MOUNTS: tuple[tuple[str, str, str], ...] = (
    ("clawdbot-data", "/root/.clawdbot", "clawdbot"),
    ("chrome-data", "/root/.config/google-chrome", "chrome"),
    ("homebrew-data", "/home/linuxbrew/.linuxbrew", "homebrew"),
    ("clawd-data", "/root/clawd", "clawd"),
)


def labels(name: str) -> dict[str, JsonValue]:
    """The labels every object of instance ``name`` carries."""
    return {"app": name, MANAGED_BY: MANAGER}


def with_owner(manifest: Manifest, owner: str | None) -> Manifest:
    """``manifest`` with the owner label and annotation of the database ``owner`` (unchanged
    when None); see :mod:`.ownership`."""
    if owner is None:
        return manifest
    meta = manifest["metadata"]
    assert isinstance(meta, dict)
    labels_, notes = meta.get("labels"), meta.get("annotations")
    return {
        **manifest,
        "metadata": {
            **meta,
            "labels": {**(labels_ if isinstance(labels_, dict) else {}), OWNER_LABEL: owner},
            "annotations": {**(notes if isinstance(notes, dict) else {}), OWNER_LABEL: owner},
        },
    }


def _metadata(object_name: str, instance: Instance, namespace: str | None) -> Manifest:
    meta: Manifest = {
        "name": object_name,
        "labels": labels(instance.name),
        "annotations": dict(instance_annotations(instance)),
    }
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


def desired_replicas(instance: Instance) -> int:
    """1 for an instance that should run, 0 for one that is stopped or being stopped."""
    return 0 if instance.status in (InstanceStatus.STOPPED, InstanceStatus.STOPPING) else 1


def deployment(
    instance: Instance,
    settings: GlobalSettings,
    *,
    replicas: int | None = None,
    namespace: str | None = None,
) -> Manifest:
    """The instance's Deployment.

    Args:
        instance: The instance record.
        settings: Global settings (image unless the instance has its own, image pull secret).
        replicas: 0 or 1; by default derived from the instance status.
        namespace: Put into ``metadata.namespace`` when given.

    Returns:
        The Deployment as a JSON-ready dict.
    """
    name = instance.name
    names = object_names(name)
    res = instance.resources
    mounts: list[JsonValue] = [
        {"name": volume, "mountPath": path} for volume, path, _role in PVC_MOUNTS
    ]
    mounts += [
        {"name": "config", "mountPath": f"/etc/clawdbot/{CONFIG_KEY}", "subPath": CONFIG_KEY},
        {"name": "cgroup", "mountPath": "/sys/fs/cgroup"},
        {"name": "run", "mountPath": "/run"},
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "dshm", "mountPath": "/dev/shm"},
    ]
    container: Manifest = {
        "name": CONTAINER,
        "image": instance.image or settings.image,
        "imagePullPolicy": "Always",
        "securityContext": {"privileged": True},
        "ports": [
            {"containerPort": CHROME_PORT, "name": "novnc-chrome"},
            {"containerPort": TERMINAL_PORT, "name": "novnc-term"},
        ],
        "env": [
            {"name": "VNC_RESOLUTION", "value": "1920x1080"},
            {"name": "VNC_DEPTH", "value": "24"},
        ],
        "envFrom": [{"secretRef": {"name": names["secret"]}}],
        "resources": {
            "requests": {"cpu": res.cpu_request, "memory": res.memory_request},
            "limits": {"cpu": res.cpu_limit, "memory": res.memory_limit},
        },
        "volumeMounts": mounts,
        "livenessProbe": {
            "tcpSocket": {"port": CHROME_PORT},
            "initialDelaySeconds": 60,
            "periodSeconds": 30,
        },
        "readinessProbe": {
            "httpGet": {"path": "/", "port": CHROME_PORT},
            "initialDelaySeconds": 30,
            "periodSeconds": 10,
        },
    }
    # The spec lists the claim volumes in clawdbot, homebrew, clawd, chrome order.
    volumes: list[JsonValue] = [
        {
            "name": f"{role}-data",
            "persistentVolumeClaim": {"claimName": names[f"pvc_{role}"]},
        }
        for role in ("clawdbot", "homebrew", "clawd", "chrome")
    ]
    volumes += [
        {"name": "config", "configMap": {"name": names["configmap"]}},
        {"name": "cgroup", "hostPath": {"path": "/sys/fs/cgroup", "type": "Directory"}},
        {"name": "run", "emptyDir": {"medium": "Memory"}},
        {"name": "tmp", "emptyDir": {}},
        {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}},
    ]
    pod_spec: Manifest = {"containers": [container], "volumes": volumes}
    if settings.image_pull_secret:
        pod_spec["imagePullSecrets"] = [{"name": settings.image_pull_secret}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(names["deployment"], instance, namespace),
        "spec": {
            "replicas": desired_replicas(instance) if replicas is None else replicas,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": labels(name)}, "spec": pod_spec},
        },
    }


def pvcs(instance: Instance, *, namespace: str | None = None) -> list[Manifest]:
    """The four PersistentVolumeClaims (clawdbot, homebrew, clawd, chrome)."""
    names = object_names(instance.name)
    return [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": _metadata(names[f"pvc_{role}"], instance, namespace),
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": getattr(instance.storage, role)}},
            },
        }
        for role in STORAGE_ROLES
    ]


def effective_keys(
    overrides: Mapping[Provider, SecretStr], global_keys: Mapping[Provider, SecretStr]
) -> dict[Provider, SecretStr]:
    """The key each provider's pod sees: the instance override if set, else the global key.

    A provider with neither is left out (the pod then has no such variable at all).
    """
    keys: dict[Provider, SecretStr] = {}
    for provider in Provider:
        key = overrides.get(provider) or global_keys.get(provider)
        if key is not None and key.get_secret_value():
            keys[provider] = key
    return keys


def secret(
    instance: Instance,
    keys: Mapping[Provider, SecretStr],
    *,
    namespace: str | None = None,
) -> Manifest:
    """The ``{name}-keys`` Secret holding the effective keys, base64-encoded under ``data``.

    Args:
        instance: The instance record.
        keys: The effective keys (see :func:`effective_keys`).
        namespace: Put into ``metadata.namespace`` when given.
    """
    data: dict[str, JsonValue] = {
        provider.env_var: base64.b64encode(key.get_secret_value().encode()).decode("ascii")
        for provider, key in sorted(keys.items(), key=lambda item: list(Provider).index(item[0]))
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(object_names(instance.name)["secret"], instance, namespace),
        "type": "Opaque",
        "data": data,
    }


def config_text(instance: Instance) -> str:
    """The ``clawdbot.json`` content mounted into the pod (``{}`` when the instance has none)."""
    return instance.clawdbot_config if instance.clawdbot_config else EMPTY_CONFIG


def config_hash(text: str) -> str:
    """A short fingerprint of ``clawdbot.json`` content, to spot a ConfigMap that drifted."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def configmap(instance: Instance, *, namespace: str | None = None) -> Manifest:
    """The ``{name}-config`` ConfigMap holding ``clawdbot.json``."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(object_names(instance.name)["configmap"], instance, namespace),
        "data": {CONFIG_KEY: config_text(instance)},
    }


def service(instance: Instance, *, namespace: str | None = None) -> Manifest:
    """The ``{name}-vnc`` Service of the two noVNC ports: NodePort, or, for a private instance,
    ClusterIP (no NodePort on any node; reached through a port-forward)."""
    private = instance.exposure is Exposure.PRIVATE
    node_ports = {"chrome": instance.nodeport_chrome, "terminal": instance.nodeport_terminal}
    ports: list[JsonValue] = []
    for role, port in (("chrome", CHROME_PORT), ("terminal", TERMINAL_PORT)):
        entry: Manifest = {"name": role, "port": port, "targetPort": port}
        if not private:
            entry["nodePort"] = node_ports[role]
        ports.append({**entry, "protocol": "TCP"})
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(object_names(instance.name)["service"], instance, namespace),
        "spec": {
            "type": "ClusterIP" if private else "NodePort",
            "ports": ports,
            "selector": {"app": instance.name},
        },
    }


def expected_shape(
    instance: Instance,
    settings: GlobalSettings,
    keys: Mapping[Provider, SecretStr] | None = None,
    *,
    replicas: int | None = None,
) -> ExpectedShape:
    """The fields of the desired objects worth comparing with the live ones.

    Args:
        instance: The instance record.
        settings: Global settings.
        keys: The effective keys; only their provider names are used. None means unknown (the
            secret keys are then expected to be empty; pass the keys to compare them).
        replicas: Override the replicas derived from the status.
    """
    res = instance.resources
    return ExpectedShape(
        replicas=desired_replicas(instance) if replicas is None else replicas,
        image=instance.image or settings.image,
        cpu_request=res.cpu_request,
        cpu_limit=res.cpu_limit,
        memory_request=res.memory_request,
        memory_limit=res.memory_limit,
        node_ports=(
            (None, None)
            if instance.exposure is Exposure.PRIVATE
            else (instance.nodeport_chrome, instance.nodeport_terminal)
        ),
        service_type="ClusterIP" if instance.exposure is Exposure.PRIVATE else "NodePort",
        storage={role: getattr(instance.storage, role) for role in STORAGE_ROLES},
        config_hash=config_hash(config_text(instance)),
        secret_keys=frozenset(p.env_var for p in (keys or {})),
    )


def all_manifests(
    instance: Instance,
    settings: GlobalSettings,
    keys: Mapping[Provider, SecretStr],
    *,
    replicas: int | None = None,
    namespace: str | None = None,
) -> list[Manifest]:
    """Every object of an instance: four PVCs, Secret, ConfigMap, Service, then the Deployment."""
    return [
        *pvcs(instance, namespace=namespace),
        secret(instance, keys, namespace=namespace),
        configmap(instance, namespace=namespace),
        service(instance, namespace=namespace),
        deployment(instance, settings, replicas=replicas, namespace=namespace),
    ]
