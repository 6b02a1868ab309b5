"""A ``--with-keys`` export binds its sealed keys to their whole record; a crafted file cannot
ask for gigabytes of scrypt memory; version 1 files (and their private records with ports)
still import, with warnings. Real SQLite files, the emulator for the cluster."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import SecretStr

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.crypto.passphrase import SCRYPT_N, PassphraseSeal
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import Provider
from claworc_tui.services import Services
from claworc_tui.services import records as records_mod
from tests.lifecycle.test_cli import cli
from tests.lifecycle.test_records import OVERRIDE, PASS, fleet, second

__all__ = ["second"]


async def sealed_export(services: Services) -> dict[str, Any]:
    file = await services.instances.records.export_records([], PassphraseSeal.new(PASS))
    return dict(json.loads(records_mod.dump(file)))


async def refused(second: Services, doc: dict[str, Any], match: str) -> None:
    before = await second.store.instances.list()
    file = records_mod.parse(json.dumps(doc).encode())
    with pytest.raises(ValidationFailed, match=match):
        await second.instances.records.import_records(file, PASS)
    assert await second.store.instances.list() == before, "nothing was written"


async def test_a_tampered_image_or_exposure_of_a_sealed_file_is_refused(
    services: Services, second: Services
) -> None:
    await fleet(services)
    doc = await sealed_export(services)
    assert doc["version"] == 3
    assert doc["seal"]["n"] == SCRYPT_N == 2**17
    changed = "the record of bot-alpha was changed after it was exported"
    image = json.loads(json.dumps(doc))
    image["instances"][0]["image"] = "evil.example.com/steal-keys:1"
    await refused(second, image, changed)
    exposure = json.loads(json.dumps(doc))
    record = exposure["instances"][0]
    record["exposure"] = "private"
    record["nodeport_chrome"] = record["nodeport_terminal"] = None
    await refused(second, exposure, changed)
    config = json.loads(json.dumps(doc))
    config["instances"][0]["clawdbot_config"] = '{"a": 2}'
    await refused(second, config, changed)
    # Sealed keys moved onto another record (whose own overrides match) do not open either.
    moved = json.loads(json.dumps(doc))
    moved["instances"][1]["overrides"] = ["anthropic_api_key"]
    moved["instances"][1]["sealed_keys"] = moved["instances"][0]["sealed_keys"]
    await refused(second, moved, "the record of bot-beta was changed")
    # The untouched file imports, keys and all.
    result = await second.instances.records.import_records(
        records_mod.parse(json.dumps(doc).encode()), PASS
    )
    assert result.names == ["bot-alpha", "bot-beta", "bot-gamma"]
    assert not [w for w in result.warnings if "version 1" in w]
    keys = await second.store.instances.overrides("bot-alpha")
    assert keys[Provider.ANTHROPIC].get_secret_value() == OVERRIDE


@pytest.mark.parametrize(
    ("n", "r", "p", "message"),
    [
        (2**20, 16, 1, "the file asks for 2048 MiB of memory to open .*; refused"),
        (2**20, 8, 1, "the file asks for 1024 MiB of memory to open .*; refused"),
        (2**17, 8, 9, "the file asks for 9 scrypt passes to open .*; refused"),
    ],
)
async def test_a_seal_asking_for_too_much_memory_is_refused_before_deriving(
    services: Services, second: Services, n: int, r: int, p: int, message: str
) -> None:
    await fleet(services)
    doc = await sealed_export(services)
    doc["seal"].update(n=n, r=r, p=p)
    await refused(second, doc, message)


async def test_a_version_1_file_imports_with_warnings_and_its_private_ports_dropped(
    services: Services, second: Services
) -> None:
    """A file written before format 2: keys bound to the name, a private record with ports."""
    await fleet(services)
    doc = await sealed_export(services)
    seal = PassphraseSeal.new(PASS)
    doc["version"] = 1
    doc["seal"] = seal.params(check_place="check")
    alpha, gamma = doc["instances"][0], doc["instances"][2]
    keys = json.dumps({"anthropic_api_key": OVERRIDE})
    alpha["sealed_keys"] = seal.seal(keys, "bot-alpha")
    assert gamma["exposure"] == "private"
    gamma["nodeport_chrome"], gamma["nodeport_terminal"] = 30104, 30105
    file = records_mod.parse(json.dumps(doc).encode())
    result = await second.instances.records.import_records(file, PASS)
    assert result.names == ["bot-alpha", "bot-beta", "bot-gamma"]
    assert any(
        "bot-gamma is private: its ports 30104,30105 from the file were dropped" in w
        for w in result.warnings
    )
    assert any("format version 1" in w and "name only" in w for w in result.warnings)
    imported = await second.instances.get("bot-gamma")
    assert (imported.exposure, imported.node_ports) == (Exposure.PRIVATE, None)
    restored = await second.store.instances.overrides("bot-alpha")
    assert restored[Provider.ANTHROPIC].get_secret_value() == OVERRIDE


async def test_a_wrong_passphrase_is_still_told_from_a_damaged_file(
    services: Services, second: Services
) -> None:
    await fleet(services)
    doc = await sealed_export(services)
    before = await second.store.instances.list()
    file = records_mod.parse(json.dumps(doc).encode())
    with pytest.raises(ValidationFailed, match="wrong passphrase"):
        await second.instances.records.import_records(file, SecretStr("not it at all"))
    assert await second.store.instances.list() == before


async def test_cli_export_warns_that_a_clawdbot_json_may_hold_tokens(
    config: Settings, emulator: EmulatorServer
) -> None:
    assert (await cli(config, "create", "Bot Plain"))[0] == 0
    code, _, err = await cli(config, "export")
    assert code == 0, err
    assert "clawdbot.json is included" not in err, "no config, no warning"
    path = config.db.parent / "clawdbot.json"
    path.write_text('{"channels": {"slack": {"token": "xoxb-not-a-real-token"}}}')
    assert (await cli(config, "create", "Bot Alpha", "--config", str(path)))[0] == 0
    code, out, err = await cli(config, "export")
    assert code == 0, err
    assert json.loads(out)["keys"] == "left out"
    assert "warning: clawdbot.json is included (bot-alpha): it may hold tokens" in err
    assert "xoxb" not in err
