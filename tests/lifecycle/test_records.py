"""Export and import: a round trip between two real SQLite files, the cluster the emulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.crypto.passphrase import PassphraseSeal
from claworc_tui.models.errors import InstanceNotFound, ValidationFailed
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import Instance, Provider, Resources, Storage
from claworc_tui.models.records import RecordsFile
from claworc_tui.models.remedy import Advice, Remedy
from claworc_tui.services import Services, open_services
from claworc_tui.services import records as records_mod
from tests._support.emulator import emulator_config
from tests._support.instances import make
from tests._support.kube import kube_of
from tests.k8s.helpers import NS

OVERRIDE = "sk-ant-api03.EXPORTFAKE.EXPORTFAKE-4444-eeee"
PASS = SecretStr("correct horse battery")


async def fleet(services: Services) -> None:
    """Three instances that differ in everything a record holds."""
    await make(
        services,
        "Bot Alpha",
        resources=Resources(cpu_limit="3", memory_limit="6Gi"),
        storage=Storage(chrome="7Gi"),
        clawdbot_config='{"a": 1}',
        api_keys={Provider.ANTHROPIC: SecretStr(OVERRIDE)},
    )
    await make(services, "Bot Beta")
    await services.instances.stop("bot-beta")
    await make(services, "Bot Gamma")
    async for _ in services.instances.redeploy(["bot-gamma"], "example.com/bot:7", wait=False):
        pass
    await services.reach.set_exposure("bot-gamma", Exposure.PRIVATE)  # type: ignore[union-attr]


def same_record(a: Instance, b: Instance) -> bool:
    fields = set(Instance.model_fields) - {"id", "created_at", "updated_at", "status_detail"}
    fields -= {"op_step", "op_owner"}
    return a.model_dump(include=fields) == b.model_dump(include=fields)


@pytest.fixture
async def second(tmp_path: Path) -> AsyncIterator[Services]:
    """Another database on another (empty) cluster: where a backup is restored."""
    server = EmulatorServer(emulator_config())
    await server.start()
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig2", namespace=NS)
    config = Settings(db=tmp_path / "other" / "claworc.db", kubeconfig=kubeconfig, namespace=NS)
    opened = await open_services(config)
    try:
        yield opened
    finally:
        await opened.aclose()
        await server.stop()


async def test_round_trip_with_sealed_keys(services: Services, second: Services) -> None:
    await fleet(services)
    seal = PassphraseSeal.new(PASS)
    text = records_mod.dump(await services.instances.records.export_records([], seal))
    assert OVERRIDE not in text
    assert "EXPORTFAKE" not in text
    doc = json.loads(text)
    assert (doc["version"], doc["keys"]) == (3, "sealed")
    result = await second.instances.records.import_records(records_mod.parse(text.encode()), PASS)
    assert result.names == ["bot-alpha", "bot-beta", "bot-gamma"]
    assert result.without_keys == []
    for name in result.names:
        a, b = await services.instances.get(name), await second.instances.get(name)
        assert same_record(a, b), (a, b)
        assert await services.store.instances.overrides(name) == (
            await second.store.instances.overrides(name)
        )
    # Records only: nothing was created in the second cluster; repair then builds it.
    assert (await kube_of(second).cluster.managed_docs())["Deployment"] == {}
    report = await second.instances.drift()
    await second.instances.repair(report.items)
    assert (await second.instances.drift()).clean
    dep = await kube_of(second).deployments.read_deployment("bot-beta")
    assert dep is not None
    assert dep.replicas == 0
    gamma = await kube_of(second).deployments.read_deployment("bot-gamma")
    assert gamma is not None
    assert gamma.image == "example.com/bot:7"


async def test_export_without_keys_leaves_them_out(services: Services, second: Services) -> None:
    await fleet(services)
    text = records_mod.dump(await services.instances.records.export_records(["bot-alpha"], None))
    assert OVERRIDE not in text
    doc = json.loads(text)
    assert doc["keys"] == "left out"
    assert doc["instances"][0]["overrides"] == ["anthropic_api_key"]
    assert doc["instances"][0]["sealed_keys"] is None
    result = await second.instances.records.import_records(records_mod.parse(text.encode()), None)
    assert result.without_keys == ["bot-alpha"]
    assert (await second.instances.get("bot-alpha")).overrides == frozenset()
    with pytest.raises(InstanceNotFound):
        await services.instances.records.export_records(["bot-nope"], None)


async def test_bad_imports_change_nothing(services: Services, second: Services) -> None:
    await fleet(services)
    sealed = records_mod.dump(
        await services.instances.records.export_records([], PassphraseSeal.new(PASS))
    )
    doc = json.loads(sealed)

    async def refused(data: bytes | str, match: str, passphrase: SecretStr | None = PASS) -> None:
        raw = data.encode() if isinstance(data, str) else data
        before = await second.store.instances.list()

        async def attempt() -> None:
            file = records_mod.parse(raw)
            await second.instances.records.import_records(file, passphrase)

        with pytest.raises(ValidationFailed, match=match):
            await attempt()
        assert await second.store.instances.list() == before

    await refused(b"\xff\xfe", "not JSON")
    await refused("[]", "not a claworc-tui export")
    await refused(json.dumps({**doc, "version": 4}), "format version 4, newer")
    await refused(json.dumps({**doc, "version": "1"}), "not a version")
    await refused(sealed, "wrong passphrase", SecretStr("not the passphrase"))
    await refused(sealed, "passphrase is needed", None)
    broken = json.loads(sealed)
    token = broken["instances"][0]["sealed_keys"]
    broken["instances"][0]["sealed_keys"] = token[:-6] + (
        "AAAAAA" if token[-6:] != "AAAAAA" else "BBBBBB"
    )
    await refused(json.dumps(broken), "damaged")
    swapped = json.loads(sealed)
    swapped["instances"][0]["name"] = "bot-other"
    await refused(json.dumps(swapped), "damaged")
    truncated = sealed[: len(sealed) // 2]
    await refused(truncated, "not JSON")
    bad_port = json.loads(sealed)
    bad_port["instances"][1]["nodeport_terminal"] = 30199
    await refused(json.dumps(bad_port), "damaged")
    bad_image = json.loads(sealed)
    bad_image["instances"][2]["image"] = "bad image"
    await refused(json.dumps(bad_image), "damaged")
    # All or nothing: one conflicting name stops the other two as well.
    await make(second, "Bot Beta")
    await refused(sealed, "cannot import: .*an instance named bot-beta already exists")
    assert [i.name for i in await second.store.instances.list()] == ["bot-beta"]


async def test_import_refuses_ports_already_used(services: Services, second: Services) -> None:
    await make(services, "Bot Alpha")
    text = records_mod.dump(await services.instances.records.export_records([], None))
    await make(second, "Other")  # takes 30100/30101 in the second database
    with pytest.raises(ValidationFailed, match="port 30100 of bot-alpha is used by bot-other"):
        await second.instances.records.import_records(records_mod.parse(text.encode()), None)
    # The same file into the same database: the name is taken.
    with pytest.raises(ValidationFailed, match="bot-alpha"):
        await services.instances.records.import_records(records_mod.parse(text.encode()), None)


async def test_import_refuses_a_port_another_service_holds(
    services: Services, emulator: EmulatorServer, config: Settings, tmp_path: Path
) -> None:
    await make(services, "Bot Alpha")
    text = records_mod.dump(await services.instances.records.export_records([], None))
    other = Settings(db=tmp_path / "third.db", kubeconfig=config.kubeconfig, namespace="elsewhere")
    third = await open_services(other)
    try:
        with pytest.raises(ValidationFailed, match="held in the cluster by Service claworc/"):
            await third.instances.records.import_records(records_mod.parse(text.encode()), None)
        # Restoring into the same namespace: the port is the instance's own Service.
        fourth = await open_services(
            Settings(db=tmp_path / "fourth.db", kubeconfig=config.kubeconfig, namespace=NS)
        )
        try:
            result = await fourth.instances.records.import_records(
                records_mod.parse(text.encode()), None
            )
            assert result.names == ["bot-alpha"]
        finally:
            await fourth.aclose()
    finally:
        await third.aclose()


def test_records_file_model_rejects_inconsistent_files() -> None:
    with pytest.raises(ValueError, match="disagree"):
        RecordsFile(version=1, exported_at="x", keys="sealed", seal=None, instances=[])


async def test_import_outside_the_port_range_advises_widening_it(
    services: Services, second: Services
) -> None:
    await make(services, "Bot Alpha")  # 30100/30101
    text = records_mod.dump(await services.instances.records.export_records([], None))
    await second.instances.update_settings({"port_range_start": "30200", "port_range_end": "30299"})
    with pytest.raises(
        ValidationFailed, match=r"outside this database's range 30200-30299"
    ) as refused:
        await second.instances.records.import_records(records_mod.parse(text.encode()), None)
    # What to do is data, worded by each front end (a settings command, the Settings screen).
    assert refused.value.advice == (Advice(Remedy.WIDEN_PORTS),)
    assert "settings set" not in str(refused.value)
    assert await second.store.instances.list() == []
