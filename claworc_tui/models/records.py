"""The export file (``claworc-tui export``): instance records, keys left out or sealed.

Format (JSON, one object)::

    {"format": "claworc-tui/records", "version": 2 | 3, "exported_at": "…Z",
     "keys": "left out" | "sealed", "integrity": null | "…",
     "seal": null | {"kdf": "scrypt", "n": …, "r": …, "p": …, "salt": "…", "cipher": "AES-256-GCM",
                     "check": "…"},
     "instances": [{"name", "display_name", "nodeport_chrome", "nodeport_terminal",
                    "status": "running" | "stopped", "exposure", "image", "resources",
                    "storage", "clawdbot_config", "overrides": ["anthropic_api_key", …],
                    "sealed_keys": null | "…"}]}

``overrides`` names the providers an instance had its own key for, so an import without keys
can say which instances now inherit the global key. A file whose ``version`` is newer than
:data:`FORMAT_VERSION` is refused: an older app must not half-read a newer file.

Version 3 (written by ``--with-keys``) authenticates the whole file: ``integrity`` is sealed
with the file's passphrase, bound to the canonical JSON of everything else in it (the header,
every record — with keys or without — and their order; see
:func:`claworc_tui.services.records.file_place`). Any edit makes the import refuse the file
before anything is written. A file without keys has no secret to authenticate with: it is
written as version 2, as before (older claworc-tui read it). Version 2 binds each record's
``sealed_keys`` to the whole record (see :func:`claworc_tui.services.records.bound_place`):
editing a record with keys is refused, a record without keys is not (read with a warning).
Version 1 files (their keys bound to the instance's name only) are still read, with a warning;
so are their private records that still name a port pair (written before private instances gave
their ports up): the ports are dropped, with a warning.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from claworc_tui.models.exposure import Exposure
from claworc_tui.models.image import ImageRef
from claworc_tui.models.instance import (
    ClawdbotConfig,
    DisplayName,
    Provider,
    Resources,
    Storage,
)
from claworc_tui.models.settings import NODEPORT_MAX, NODEPORT_MIN

FORMAT = "claworc-tui/records"
FORMAT_VERSION = 3
#: The version of a file without keys (nothing in it changed from version 2).
KEYLESS_VERSION = 2
#: Largest export file an import reads (a thousand instances with 1 MiB configs fit).
MAX_FILE_BYTES = 256 * 1024 * 1024
_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII)
_NAME_MAX = 54


class InstanceRecord(BaseModel):
    """One instance as exported: everything the row holds but its id, times and keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str
    display_name: DisplayName
    nodeport_chrome: int | None = Field(default=None, ge=NODEPORT_MIN, le=NODEPORT_MAX)
    nodeport_terminal: int | None = Field(default=None, ge=NODEPORT_MIN, le=NODEPORT_MAX)
    """The pair; both None for a private instance (it holds no NodePorts)."""
    status: Literal["running", "stopped"]
    """What the instance should do: an instance mid-operation is exported as what it was
    becoming (a start → running, a stop → stopped)."""
    exposure: Exposure = Exposure.NODEPORT
    image: ImageRef | None = None
    resources: Resources
    storage: Storage
    clawdbot_config: ClawdbotConfig = None
    overrides: list[Provider] = Field(default_factory=list)
    sealed_keys: str | None = None
    """The overrides as JSON, sealed with the file's passphrase (``--with-keys``), or None."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if len(value) > _NAME_MAX or not _NAME.fullmatch(value):
            raise ValueError(
                f'name "{value}" is not an instance name (lower-case letters, digits and "-", '
                f"at most {_NAME_MAX})"
            )
        return value

    @model_validator(mode="after")
    def _pair(self) -> InstanceRecord:
        chrome, terminal = self.nodeport_chrome, self.nodeport_terminal
        if chrome is None and terminal is None:
            if self.exposure is Exposure.NODEPORT:
                raise ValueError(f"{self.name}: a NodePort instance needs its port pair")
            return self
        if chrome is None or terminal is None or terminal != chrome + 1 or chrome % 2:
            raise ValueError(
                f"{self.name}: ports {chrome},{terminal} are not an even port and the next one"
            )
        if self.exposure is Exposure.PRIVATE:
            raise ValueError(f"{self.name}: a private instance holds no NodePorts")
        return self

    @property
    def ports(self) -> tuple[int, ...]:
        """The pair, or nothing for a private instance."""
        if self.nodeport_chrome is None or self.nodeport_terminal is None:
            return ()
        return (self.nodeport_chrome, self.nodeport_terminal)


class RecordsFile(BaseModel):
    """The whole export file."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    format: Literal["claworc-tui/records"] = "claworc-tui/records"
    version: int
    exported_at: str
    keys: Literal["left out", "sealed"]
    seal: dict[str, object] | None = None
    integrity: str | None = None
    """Version 3 on, with keys: the whole file authenticated under the passphrase."""
    instances: list[InstanceRecord]
    _warnings: list[str] = PrivateAttr(default_factory=list)
    _document: dict[str, object] | None = PrivateAttr(default=None)

    @property
    def warnings(self) -> list[str]:
        """What reading the file noticed and went past (an old version, dropped ports)."""
        return self._warnings

    @property
    def document(self) -> dict[str, object]:
        """The file as it was read (every field but ``integrity``), to authenticate: the JSON
        as written, not the model, so that no edit is normalised away."""
        doc = self._document
        if doc is None:
            doc = self.model_dump(mode="json", exclude={"integrity"})
        return {k: v for k, v in doc.items() if k != "integrity"}

    def read_from(self, doc: dict[str, object]) -> None:
        """Remember the JSON object this file was read from (see :attr:`document`)."""
        self._document = doc

    @model_validator(mode="after")
    def _consistent(self) -> RecordsFile:
        sealed = self.keys == "sealed"
        if sealed != (self.seal is not None):
            raise ValueError('"keys" and "seal" disagree')
        if self.integrity is not None and not sealed:
            raise ValueError('"integrity" is there but the file has no seal')
        for record in self.instances:
            if record.sealed_keys is not None and not sealed:
                raise ValueError(f"{record.name} has sealed keys but the file has no seal")
            if sealed and bool(record.overrides) != (record.sealed_keys is not None):
                raise ValueError(f"{record.name}: its overrides and sealed keys disagree")
        return self
