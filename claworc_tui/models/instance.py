"""The instance record and the input that creates or edits one. Frozen, no I/O."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from claworc_tui.models.exposure import Exposure
from claworc_tui.models.image import ImageRef
from claworc_tui.models.quantity import QuantityError, parse_quantity
from claworc_tui.models.text import is_unsafe_char


class InstanceStatus(StrEnum):
    """The status kept in the database (the live pod state is merged on top of it)."""

    CREATING = "creating"
    RUNNING = "running"
    STOPPED = "stopped"
    STARTING = "starting"
    STOPPING = "stopping"
    RESTARTING = "restarting"
    DELETING = "deleting"
    ERROR = "error"


#: Statuses a process leaves behind only while it is working on the instance.
TRANSITIONAL: frozenset[InstanceStatus] = frozenset(
    {
        InstanceStatus.CREATING,
        InstanceStatus.STARTING,
        InstanceStatus.STOPPING,
        InstanceStatus.RESTARTING,
        InstanceStatus.DELETING,
    }
)


class Provider(StrEnum):
    """An API key provider; the value is the column and settings key."""

    ANTHROPIC = "anthropic_api_key"
    OPENAI = "openai_api_key"
    BRAVE = "brave_api_key"

    @property
    def env_var(self) -> str:
        """The environment variable the pod reads the key from."""
        return self.value.upper()

    @property
    def label(self) -> str:
        """A human name for the provider."""
        return {"anthropic_api_key": "Anthropic", "openai_api_key": "OpenAI"}.get(
            self.value, "Brave Search"
        )


def _check_quantity(field: str, value: str) -> str:
    try:
        amount = parse_quantity(value)
    except QuantityError:
        raise ValueError(f'{field} "{value}" is not a Kubernetes quantity') from None
    if amount <= 0:
        raise ValueError(f'{field} "{value}" must be greater than zero')
    return value


def _quantity(field: str) -> AfterValidator:
    return AfterValidator(lambda value: _check_quantity(field, value))


class Resources(BaseModel):
    """CPU and memory requests and limits, as Kubernetes quantities."""

    model_config = ConfigDict(frozen=True)

    cpu_request: Annotated[str, _quantity("cpu_request")] = "500m"
    """CPU the scheduler reserves."""
    cpu_limit: Annotated[str, _quantity("cpu_limit")] = "2000m"
    """CPU the container may use at most."""
    memory_request: Annotated[str, _quantity("memory_request")] = "1Gi"
    """Memory the scheduler reserves."""
    memory_limit: Annotated[str, _quantity("memory_limit")] = "4Gi"
    """Memory above which the container is OOM-killed."""

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Self:
        for kind in ("cpu", "memory"):
            request = getattr(self, f"{kind}_request")
            limit = getattr(self, f"{kind}_limit")
            if parse_quantity(request) > parse_quantity(limit):
                raise ValueError(f'{kind}_request "{request}" is more than {kind}_limit "{limit}"')
        return self


class Storage(BaseModel):
    """Sizes of the four PVCs."""

    model_config = ConfigDict(frozen=True)

    clawdbot: Annotated[str, _quantity("storage_clawdbot")] = "5Gi"
    """Size of the ``-clawdbot`` PVC (``/root/.clawdbot``)."""
    homebrew: Annotated[str, _quantity("storage_homebrew")] = "10Gi"
    """Size of the ``-homebrew`` PVC (``/home/linuxbrew/.linuxbrew``)."""
    clawd: Annotated[str, _quantity("storage_clawd")] = "5Gi"
    """Size of the ``-clawd`` PVC (``/root/clawd``)."""
    chrome: Annotated[str, _quantity("storage_chrome")] = "5Gi"
    """Size of the ``-chrome`` PVC (``/root/.config/google-chrome``)."""

    def sizes(self) -> dict[str, Decimal]:
        """Each PVC's size in bytes, keyed by role."""
        return {role: parse_quantity(getattr(self, role)) for role in STORAGE_ROLES}


STORAGE_ROLES: tuple[str, ...] = ("clawdbot", "homebrew", "clawd", "chrome")


def check_api_key(provider: Provider, key: SecretStr) -> SecretStr:
    """The one rule for every API key, per instance or global: one line, no spaces, not empty.

    Raises:
        ValueError: Naming the provider, never the key.
    """
    secret = key.get_secret_value()
    if not secret or any(ch.isspace() for ch in secret):
        raise ValueError(f"{provider.label} key must be one line without spaces")
    return key


CONFIG_MAX_BYTES = 1024 * 1024
"""The most ``clawdbot.json`` can hold: the apiserver counts a ConfigMap's values (not its keys)
against 1 MiB (1048576 bytes pass, 1048577 are 422 "Too long", as the golden corpus shows)."""
CONFIG_MAX_DEPTH = 64
"""Nesting deeper than this is refused before parsing (deep nesting overflows the parser)."""


def _nesting_depth(text: str) -> int:
    """The deepest ``[``/``{`` nesting of ``text``, brackets inside strings not counted."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > CONFIG_MAX_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def _no_constant(name: str) -> object:
    raise ValueError(f"clawdbot.json contains {name}, which JSON does not allow")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"clawdbot.json has the number {text}, too large for JSON readers")
    return value


def validate_clawdbot_config(text: str | None) -> str | None:
    """Check that ``clawdbot.json`` is a JSON object; return it unchanged.

    Refused: more than a ConfigMap holds (1 MiB), nesting deeper than
    :data:`CONFIG_MAX_DEPTH`, ``NaN``/``Infinity`` (not JSON), numbers too large to read.

    Raises:
        ValueError: With the line and column of a syntax error, or what else is wrong.
    """
    if text is None or not text.strip():
        return None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > CONFIG_MAX_BYTES:
        raise ValueError(
            f"clawdbot.json is {size} bytes, more than the 1 MiB (1048576 bytes) a ConfigMap holds"
        )
    if _nesting_depth(text) > CONFIG_MAX_DEPTH:
        raise ValueError(f"clawdbot.json is nested deeper than {CONFIG_MAX_DEPTH} levels")
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"clawdbot.json is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise ValueError(f"clawdbot.json is nested deeper than {CONFIG_MAX_DEPTH} levels") from None
    except ValueError as exc:
        message = str(exc)
        if not message.startswith("clawdbot.json"):
            # int() refusing a number of thousands of digits, say.
            message = f"clawdbot.json has a number that cannot be read: {message}"
        raise ValueError(message) from None
    if not isinstance(value, dict):
        raise ValueError(f"clawdbot.json must be a JSON object, not {type(value).__name__}")
    return text


ClawdbotConfig = Annotated[str | None, AfterValidator(validate_clawdbot_config)]
"""A model field holding ``clawdbot.json``, checked by :func:`validate_clawdbot_config` (blank
text becomes None)."""


def _check_display_name(value: str) -> str:
    if not value.strip():
        raise ValueError("display_name must not be blank")
    bad = next((char for char in value if char in "\t\n" or is_unsafe_char(char)), None)
    if bad is not None:
        raise ValueError(
            f"display_name must not contain control or bidi characters (U+{ord(bad):04X})"
        )
    return value


DisplayName = Annotated[
    str, Field(min_length=1, max_length=100), AfterValidator(_check_display_name)
]
"""A model field holding a display name: 1 to 100 characters, not blank, no control or bidi
characters (the one rule of a new instance and of an imported record)."""


class InstanceSpec(BaseModel):
    """What the user asks for when creating an instance."""

    model_config = ConfigDict(frozen=True)

    display_name: DisplayName
    """Human-readable name; the instance name is derived from it."""
    resources: Resources = Resources()
    """CPU and memory (prefilled from the settings' defaults)."""
    storage: Storage = Storage()
    """PVC sizes (prefilled from the settings' defaults)."""
    clawdbot_config: ClawdbotConfig = None
    """The content of ``clawdbot.json``; None mounts an empty object."""
    api_keys: dict[Provider, SecretStr] = Field(default_factory=dict)
    """Per-instance key overrides; a provider not listed inherits the global key."""
    image: ImageRef | None = None
    """The instance's own container image (a clone keeps its source's); None: the setting."""
    exposure: Exposure | None = None
    """NodePorts or private; None takes the settings' ``default_exposure``. A clone keeps its
    source's: a clone of a private instance must not appear on NodePorts."""

    @field_validator("api_keys")
    @classmethod
    def _keys_not_blank(cls, value: dict[Provider, SecretStr]) -> dict[Provider, SecretStr]:
        for provider, key in value.items():
            check_api_key(provider, key)
        return value


class Instance(BaseModel):
    """An instance as the database records it. Keys are never held here, only which are set."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    display_name: str
    nodeport_chrome: int | None
    """The chrome page's NodePort; None for a private instance (it holds no pair)."""
    nodeport_terminal: int | None
    """The terminal page's NodePort (always ``nodeport_chrome + 1``), or None."""
    status: InstanceStatus
    resources: Resources
    storage: Storage
    clawdbot_config: str | None
    overrides: frozenset[Provider]
    """Providers with a per-instance key (the rest inherit the global key)."""
    status_detail: str | None = None
    """Why the status is what it is (e.g. the error of a failed operation)."""
    op_step: str | None = None
    """The step an operation in progress has reached (for the start-up sweep)."""
    op_owner: str | None = None
    """``host:pid`` of the process running that operation."""
    exposure: Exposure = Exposure.NODEPORT
    """NodePorts, or private (a ClusterIP Service reached through a port-forward)."""
    image: str | None = None
    """The image set by ``redeploy --image`` (or copied by a clone); None runs the settings'
    image."""
    created_at: datetime
    updated_at: datetime

    @property
    def node_ports(self) -> tuple[int, int] | None:
        """The (chrome, terminal) NodePort pair, or None when the instance holds none."""
        if self.nodeport_chrome is None or self.nodeport_terminal is None:
            return None
        return (self.nodeport_chrome, self.nodeport_terminal)
