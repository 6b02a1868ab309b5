"""Global settings kept in the database's ``settings`` table."""

from __future__ import annotations

import re
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from claworc_tui.models.exposure import Exposure
from claworc_tui.models.image import ImageRef
from claworc_tui.models.instance import Provider, Resources, Storage

DEFAULT_IMAGE = "glukw/openclaw-vnc-chrome:latest"
NODEPORT_MIN = 30000
NODEPORT_MAX = 32767
# Every pattern is ASCII and matched with fullmatch: ``$`` alone accepts a trailing newline.
_DNS_SUBDOMAIN = re.compile(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", re.ASCII
)
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9a-fA-F:]+\]", re.ASCII)


class GlobalSettings(BaseModel):
    """Everything the ``settings`` table holds, except the keys themselves."""

    model_config = ConfigDict(frozen=True)

    default_resources: Resources = Resources()
    """Resources prefilled for new instances (existing ones keep theirs)."""
    default_storage: Storage = Storage()
    """PVC sizes prefilled for new instances."""
    image: ImageRef = DEFAULT_IMAGE
    """Container image of every instance that has none of its own (``redeploy --image`` sets
    one)."""
    image_pull_secret: str | None = None
    """Name of a docker-registry Secret in the namespace, or None for a public image."""
    node_host: str | None = None
    """Host used in VNC URLs; None asks the cluster for a node address."""
    port_range_start: int = Field(default=30100, ge=NODEPORT_MIN, le=NODEPORT_MAX)
    """First NodePort of the range instances draw their pairs from (even)."""
    port_range_end: int = Field(default=30199, ge=NODEPORT_MIN, le=NODEPORT_MAX)
    """Last NodePort of the range (inclusive)."""
    default_exposure: Exposure = Exposure.NODEPORT
    """How new instances are reached: NodePorts, or private (through a port-forward)."""
    global_keys: frozenset[Provider] = frozenset()
    """Providers with a global key set."""
    legacy_key_in_db: bool = False
    """True when the Fernet key lives in the database beside the data (spec-era databases)."""

    @field_validator("image_pull_secret")
    @classmethod
    def _secret_name(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if len(value) > 253 or not _DNS_SUBDOMAIN.fullmatch(value):
            raise ValueError(f'image_pull_secret "{value}" is not a valid Secret name')
        return value

    @field_validator("node_host")
    @classmethod
    def _node_host(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not _HOST.fullmatch(value):
            raise ValueError(f'node_host "{value}" is not a host name or IP address')
        return value

    @model_validator(mode="after")
    def _port_range(self) -> Self:
        if self.port_range_start % 2:
            raise ValueError(f"port_range_start {self.port_range_start} must be even")
        if self.port_range_end <= self.port_range_start:
            raise ValueError(
                f"port_range_end {self.port_range_end} must be above "
                f"port_range_start {self.port_range_start}"
            )
        return self

    @property
    def port_pairs(self) -> int:
        """How many chrome/terminal pairs the range holds."""
        return (self.port_range_end - self.port_range_start + 1) // 2


#: Settings keys that are stored as plain text (the three provider keys are sealed).
PLAIN_KEYS: tuple[str, ...] = (
    "default_cpu_request",
    "default_cpu_limit",
    "default_memory_request",
    "default_memory_limit",
    "default_storage_clawdbot",
    "default_storage_homebrew",
    "default_storage_clawd",
    "default_storage_chrome",
    "image",
    "image_pull_secret",
    "node_host",
    "port_range_start",
    "port_range_end",
    "default_exposure",
)
