"""A ``--with-keys`` export authenticates the whole file: an edit to a record without keys, to
the order of the records or to the header is refused before anything is written. Keyless files
(format 2) still import. Real SQLite files, the emulator for the cluster."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from claworc_tui.crypto.passphrase import PassphraseSeal
from claworc_tui.models.records import RecordsFile
from claworc_tui.services import Services
from claworc_tui.services import records as records_mod
from tests.lifecycle.test_records import PASS, fleet, second
from tests.lifecycle.test_records_integrity import refused, sealed_export

__all__ = ["second"]
CHANGED = "the file is damaged: it was changed after it was exported"


def _beta_image(doc: dict[str, Any]) -> None:
    beta = doc["instances"][1]
    assert beta["name"] == "bot-beta"
    assert beta["sealed_keys"] is None  # a record without keys
    beta["image"] = "evil.example.com/steal-global-keys:1"


def _beta_status(doc: dict[str, Any]) -> None:
    doc["instances"][1]["status"] = "running"


def _gamma_dropped(doc: dict[str, Any]) -> None:
    del doc["instances"][2]


def _reordered(doc: dict[str, Any]) -> None:
    doc["instances"].reverse()


def _header(doc: dict[str, Any]) -> None:
    doc["exported_at"] = "2020-01-01T00:00:00Z"


def _integrity_removed(doc: dict[str, Any]) -> None:
    del doc["integrity"]


EDITS: list[Callable[[dict[str, Any]], None]] = [
    _beta_image,
    _beta_status,
    _gamma_dropped,
    _reordered,
    _header,
    _integrity_removed,
]


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__.strip("_"))
async def test_any_edit_of_a_sealed_file_is_refused(
    services: Services, second: Services, edit: Callable[[dict[str, Any]], None]
) -> None:
    await fleet(services)
    doc = await sealed_export(services)
    edited = json.loads(json.dumps(doc))
    edit(edited)
    await refused(second, edited, CHANGED if edit is not _integrity_removed else "integrity")
    # The file as it was exported imports.
    file = records_mod.parse(json.dumps(doc).encode())
    result = await second.instances.records.import_records(file, PASS)
    assert result.names == ["bot-alpha", "bot-beta", "bot-gamma"]


async def test_a_keyless_export_stays_format_2_and_imports(
    services: Services, second: Services
) -> None:
    await fleet(services)
    doc = json.loads(records_mod.dump(await services.instances.records.export_records([], None)))
    assert (doc["version"], doc["keys"]) == (2, "left out")
    assert "integrity" not in doc or doc["integrity"] is None
    result = await second.instances.records.import_records(
        records_mod.parse(json.dumps(doc).encode()), None
    )
    assert result.names == ["bot-alpha", "bot-beta", "bot-gamma"]


async def test_a_format_2_file_with_keys_still_imports_with_a_warning(
    services: Services, second: Services
) -> None:
    await fleet(services)
    seal = PassphraseSeal.new(PASS)
    repo = services.store.instances
    records = [
        records_mod._record(i, await repo.overrides(i.name), seal, 2) for i in await repo.list()
    ]
    old = RecordsFile(
        version=2, exported_at="x", keys="sealed", seal=seal.params(), instances=records
    )
    file = records_mod.parse(records_mod.dump(old).encode())
    result = await second.instances.records.import_records(file, PASS)
    assert result.names == ["bot-alpha", "bot-beta", "bot-gamma"]
    assert any("format version 2" in w and "without keys" in w for w in result.warnings)
