"""Application configuration: flags > ``CLAWORC_*`` environment > defaults.

Paths follow the XDG base directory spec so a jump host's home stays tidy:

* data   ``$XDG_DATA_HOME/claworc-tui/claworc.db``   (default ``~/.local/share``)
* config ``$XDG_CONFIG_HOME/claworc-tui/fernet.key`` (default ``~/.config``)
* state  ``$XDG_STATE_HOME/claworc-tui/claworc-tui.log`` (default ``~/.local/state``)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

APP_DIR = "claworc-tui"
#: Environment variables ``CLAWORC_<FIELD>`` (any case) set the field of that name.
ENV_PREFIX = "CLAWORC_"
#: A namespace name is an RFC 1123 label (what the API server accepts for ``metadata.name``).
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII)


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    base = Path(value) if value and Path(value).is_absolute() else Path.home() / fallback
    return base / APP_DIR


def default_db_path() -> Path:
    """Where the database lives unless ``--db`` or ``CLAWORC_DB`` says otherwise."""
    return _xdg("XDG_DATA_HOME", ".local/share") / "claworc.db"


def default_config_dir() -> Path:
    """Where the Fernet key file lives."""
    return _xdg("XDG_CONFIG_HOME", ".config")


def default_state_dir() -> Path:
    """Where the app's log file lives."""
    return _xdg("XDG_STATE_HOME", ".local/state")


class LogLevel(StrEnum):
    """Levels accepted by ``--log-level``."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


def _from_environment(fields: Mapping[str, object]) -> dict[str, str]:
    """The ``CLAWORC_*`` variables that name a field, by field name.

    Matched without regard to case, as pydantic-settings did (issue 17: that package cost ~30 ms
    of every start, for one flat model read from the environment). Other ``CLAWORC_*`` variables
    (``CLAWORC_EXPORT_PASSPHRASE``, test switches) are not settings and are left alone.
    """
    found: dict[str, str] = {}
    for key, value in os.environ.items():
        if key.upper().startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX) :].lower()
            if name in fields:
                found[name] = value
    return found


class Settings(BaseModel):
    """How this run of the app is configured: keywords > ``CLAWORC_*`` environment > defaults.

    Values from the environment are strings, validated like any other (``CLAWORC_READ_ONLY=true``,
    ``CLAWORC_LOG_BUFFER_LINES=5000``); a bad one is a ``ValidationError`` naming the field.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _environment_under_keywords(cls, given: Any) -> Any:
        # A validator, not an __init__ of our own, so mypy's pydantic plugin still types the
        # keywords (a misspelt one is an error, not a setting silently ignored).
        if isinstance(given, dict):
            return {**_from_environment(cls.model_fields), **given}
        return given

    db: Path = Field(default_factory=default_db_path)
    """SQLite database file."""
    kubeconfig: Path | None = None
    """Kubeconfig file; None follows kubectl (``$KUBECONFIG``, ``~/.kube/config``, in-cluster)."""
    context: str | None = None
    """Kubeconfig context; None uses the current context."""
    namespace: str = "claworc"
    """Namespace every instance lives in."""
    read_only: bool = False
    """Never change anything: actions that would are disabled."""
    log_level: LogLevel = LogLevel.INFO
    """Level of the app's own log file."""
    fernet_key: SecretStr | None = None
    """Fernet key sealing API keys (``CLAWORC_FERNET_KEY``); overrides the key file."""
    config_dir: Path = Field(default_factory=default_config_dir)
    """Folder of the key file."""
    state_dir: Path = Field(default_factory=default_state_dir)
    """Folder of the log file."""
    demo: bool = False
    """Run against the built-in emulated cluster with sample instances."""
    log_buffer_lines: int = Field(default=10_000, ge=100, le=1_000_000)
    """Lines a log pane keeps before dropping the oldest."""
    runtime: Literal["kubernetes", "docker"] | None = None
    """What runs the instances (``--runtime``); None picks as Claworc does: in-cluster, else a
    kubeconfig, else the Docker socket (``DOCKER_HOST`` honoured)."""
    docker_bind_address: str = "127.0.0.1"
    """Host address the Docker backend publishes the VNC ports on; ``0.0.0.0`` opens them to
    the network (they carry no password of their own)."""
    docker_network: str | None = None
    """A user-defined Docker network the containers join; None: the engine's default bridge."""
    docker_privileged: bool = True
    """Run containers ``--privileged`` as the image needs (off only where the host refuses)."""

    @field_validator("namespace")
    @classmethod
    def _namespace_name(cls, value: str) -> str:
        # Refused here, with the flags (exit 2): a name the API server can never accept would
        # otherwise reach the cluster as an empty list or a 404.
        if len(value) > 63 or not _NAMESPACE.fullmatch(value):
            raise ValueError(
                f'namespace "{value}" is not a Kubernetes namespace name (lower-case letters, '
                'digits and "-", at most 63, starting and ending with a letter or digit)'
            )
        return value

    @property
    def key_file(self) -> Path:
        """The Fernet key file."""
        return self.config_dir / "fernet.key"

    @property
    def log_file(self) -> Path:
        """The app's log file."""
        return self.state_dir / "claworc-tui.log"
