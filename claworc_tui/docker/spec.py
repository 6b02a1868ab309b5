"""The Docker objects of one instance, as plain JSON for the engine API. Pure: no I/O.

The mapping (README, "The Docker backend"):

* one container ``claworc-{name}``, labelled ``managed-by=claworc``, ``app={name}`` and the
  database's owner id, like every Kubernetes object of the app;
* four named volumes ``claworc-{name}-{role}`` in place of the PVCs, mounted where the PVCs are;
  their sizes are recorded as labels but **not enforced** (local volumes have no size);
* the keys as files (0600) in a per-instance folder (0700) mounted read-only at
  :data:`KEYS_DIR`, each announced by a ``{VAR}_FILE`` variable — never as a plain environment
  variable, which ``docker inspect`` would print;
* ``clawdbot.json`` bind-mounted read-only where the ConfigMap is mounted;
* ``--privileged``, ``--shm-size 2g``, the CPU and memory *limits* of the record (Docker has no
  requests), restart policy ``unless-stopped``;
* the two VNC ports published on the instance's port pair, on 127.0.0.1 unless a wider
  address is asked for.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from claworc_tui.k8s.manifests import (
    CHROME_PORT,
    CONFIG_KEY,
    MANAGED_BY,
    MANAGER,
    OWNER_LABEL,
    PVC_MOUNTS,
    TERMINAL_PORT,
)
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import Instance, Provider
from claworc_tui.models.quantity import parse_quantity

Json = dict[str, object]
PREFIX = "claworc-"
KEYS_DIR = "/run/claworc-keys"
CONFIG_PATH = f"/etc/clawdbot/{CONFIG_KEY}"
SHM_BYTES = 2 * 1024**3
SIZE_LABEL = "claworc.dev/size"
"""Label on a volume: the size the record asked for (recorded, not enforced)."""
ROLE_LABEL = "claworc.dev/role"
MANAGED_FILTER = f"{MANAGED_BY}={MANAGER}"


def container_name(name: str) -> str:
    """The container of instance ``name``."""
    return f"{PREFIX}{name}"


def private_note(name: str) -> str:
    """How a private instance's pages are reached on Docker (no port is published)."""
    return (
        f"private: no published ports; its pages are on the container's own address, port "
        f"{CHROME_PORT} (chrome) and {TERMINAL_PORT} (terminal), from the engine's host: "
        "docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "
        f"{container_name(name)}"
    )


def volume_name(name: str, role: str) -> str:
    """The named volume standing for the PVC of ``role``."""
    return f"{PREFIX}{name}-{role}"


def labels(name: str, owner: str | None) -> dict[str, str]:
    """The labels of every Docker object of instance ``name``."""
    out = {"app": name, MANAGED_BY: MANAGER}
    if owner:
        out[OWNER_LABEL] = owner
    return out


def volumes(instance: Instance, owner: str | None) -> list[Json]:
    """The four ``POST /volumes/create`` bodies."""
    return [
        {
            "Name": volume_name(instance.name, role),
            "Labels": {
                **labels(instance.name, owner),
                ROLE_LABEL: role,
                SIZE_LABEL: str(getattr(instance.storage, role)),
            },
        }
        for _volume, _path, role in PVC_MOUNTS
    ]


def memory_bytes(quantity: str) -> int:
    """A Kubernetes memory quantity (``4Gi``) in bytes."""
    return int(parse_quantity(quantity))


def nano_cpus(quantity: str) -> int:
    """A Kubernetes CPU quantity (``2000m``) in Docker's NanoCpus."""
    return int(parse_quantity(quantity) * Decimal(1_000_000_000))


def container(
    instance: Instance,
    *,
    image: str,
    keys: frozenset[Provider],
    folder: Path,
    owner: str | None,
    bind_address: str = "127.0.0.1",
    network: str | None = None,
    privileged: bool = True,
    extra_env: dict[str, str] | None = None,
) -> Json:
    """The ``POST /containers/create`` body of the instance.

    Args:
        instance: The record (name, resources, port pair).
        image: The image (it must already be on the engine).
        keys: The providers with a key file in ``folder/keys``.
        folder: The instance's private folder on the host (``keys/``, ``clawdbot.json``).
        owner: The database's owner id (a label), or None.
        bind_address: Host address the VNC ports are published on.
        network: A user-defined network to join, or None for the engine's default.
        privileged: ``--privileged`` (the OpenClaw image runs systemd and Chrome; off only
            where the engine's host refuses full capabilities, such as a sandboxed CI).
        extra_env: More environment variables (tests use them to steer the test image).
    """
    env = ["VNC_RESOLUTION=1920x1080", "VNC_DEPTH=24"]
    env += [f"{p.env_var}_FILE={KEYS_DIR}/{p.env_var}" for p in sorted(keys)]
    env += [f"{k}={v}" for k, v in sorted((extra_env or {}).items())]
    mounts: list[Json] = [
        {"Type": "volume", "Source": volume_name(instance.name, role), "Target": path}
        for _volume, path, role in PVC_MOUNTS
    ]
    mounts.append(
        {"Type": "bind", "Source": str(folder / "keys"), "Target": KEYS_DIR, "ReadOnly": True}
    )
    mounts.append(
        {
            "Type": "bind",
            "Source": str(folder / CONFIG_KEY),
            "Target": CONFIG_PATH,
            "ReadOnly": True,
        }
    )
    ports: Json = {}
    pair = instance.node_ports
    if instance.exposure is not Exposure.PRIVATE and pair is not None:
        ports = {
            f"{CHROME_PORT}/tcp": [{"HostIp": bind_address, "HostPort": str(pair[0])}],
            f"{TERMINAL_PORT}/tcp": [{"HostIp": bind_address, "HostPort": str(pair[1])}],
        }
    # A private instance publishes nothing on the host: it is reached on its container's
    # address on the engine's network (see private_note), like a ClusterIP in the cluster.
    host: Json = {
        "Privileged": privileged,
        "ShmSize": SHM_BYTES,
        "Memory": memory_bytes(instance.resources.memory_limit),
        "NanoCpus": nano_cpus(instance.resources.cpu_limit),
        "RestartPolicy": {"Name": "unless-stopped"},
        "Mounts": mounts,
        "PortBindings": ports,
    }
    if network:
        host["NetworkMode"] = network
    return {
        "Image": image,
        "Hostname": instance.name,
        "Env": env,
        "Labels": labels(instance.name, owner),
        "ExposedPorts": {f"{CHROME_PORT}/tcp": {}, f"{TERMINAL_PORT}/tcp": {}},
        "HostConfig": host,
    }
