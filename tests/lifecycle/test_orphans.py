"""Deleting orphans deletes exactly the labelled objects found, and only ours.

Real parts: the CLI in a subprocess (or real Services), a SQLite file, the emulator over HTTP.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.k8s.client import KubeClient
from claworc_tui.services import open_services
from claworc_tui.services.views import DriftKind
from tests._support.kube import delete_by_hand
from tests.lifecycle.test_cli_safety import KEY, ok, run_cli, where

OWNER_LABEL = "claworc.dev/owner"


def names(emulator: EmulatorServer, kind: str, namespace: str) -> list[str]:
    return sorted(o["metadata"]["name"] for o in emulator.objects(kind, namespace))


async def plant(config: Settings) -> None:
    """Someone else's Deployment ``postgres`` (no labels of ours) and a labelled orphan
    ConfigMap whose ``app`` label says ``postgres``."""
    async with KubeClient(kubeconfig=config.kubeconfig, namespace=config.namespace) as kube:
        await kube.instances.create_deployment(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "postgres", "labels": {"app": "postgres"}},
                "spec": {
                    "replicas": 0,
                    "selector": {"matchLabels": {"app": "postgres"}},
                    "template": {
                        "metadata": {"labels": {"app": "postgres"}},
                        "spec": {"containers": [{"name": "pg", "image": "postgres:16"}]},
                    },
                },
            }
        )
    await plant_configmap(config)


async def plant_configmap(config: Settings) -> None:
    async with KubeClient(kubeconfig=config.kubeconfig, namespace=config.namespace) as kube:
        await kube.instances.create_configmap(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "postgres-settings",
                    "labels": {"app": "postgres", "managed-by": "claworc"},
                },
                "data": {"x": "1"},
            }
        )


async def test_delete_orphans_deletes_the_orphan_not_a_namesake(
    config: Settings, emulator: EmulatorServer
) -> None:
    await ok(*where(config), "create", "Bot X")
    await plant(config)
    code, out, err = await run_cli(*where(config), "repair", "--delete-orphans")
    assert code == 0, out + err
    assert "postgres" in names(emulator, "deployments", config.namespace)
    assert "postgres-settings" not in names(emulator, "configmaps", config.namespace)
    assert "deleted ConfigMap/postgres-settings" in out, out
    assert "Deployment/postgres" not in out.replace("ConfigMap/postgres-settings", "")
    # bot-x is untouched.
    assert "bot-x" in names(emulator, "deployments", config.namespace)


async def test_objects_get_our_owner_id_and_another_database_is_not_deleted(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    other = config.model_copy(update={"db": tmp_path / "other" / "claworc.db"})
    await ok(*where(config), "create", "Bot X")
    code, _, err = await run_cli(*where(other), "create", "Bot Z")
    assert code == 0, err
    owners = {
        o["metadata"]["name"]: (o["metadata"].get("labels") or {}).get(OWNER_LABEL)
        for kind in ("deployments", "configmaps", "secrets", "services", "persistentvolumeclaims")
        for o in emulator.objects(kind, config.namespace)
    }
    assert owners["bot-x"]
    assert owners["bot-z"]
    assert owners["bot-x"] != owners["bot-z"]
    assert len({v for k, v in owners.items() if k.startswith("bot-x")}) == 1
    code, out, err = await run_cli(*where(config), "repair", "--dry-run")
    assert "another claworc database" in out, out
    assert owners["bot-z"] in out
    assert "adopt" in out
    before = names(emulator, "persistentvolumeclaims", config.namespace)
    code, out, err = await run_cli(*where(config), "repair", "--delete-orphans")
    assert names(emulator, "persistentvolumeclaims", config.namespace) == before
    assert "bot-z" in names(emulator, "deployments", config.namespace)
    assert "deleted" not in out.replace("deleted 0", "")


async def test_a_vanished_orphan_is_not_a_repair_and_a_namesake_survives(
    config: Settings, emulator: EmulatorServer
) -> None:
    await ok(*where(config), "create", "Bot X")
    await plant(config)
    # The CLI made the database with KEY: the same key opens it here.
    services = await open_services(config.model_copy(update={"fernet_key": SecretStr(KEY)}))
    try:
        report = await services.instances.drift()
        orphans = list(report.of_kind(DriftKind.ORPHAN))
        assert [o.object for o in orphans] == ["ConfigMap/postgres-settings"]
        # Between the check and the repair, the orphan goes and a namesake comes (new uid).
        await delete_by_hand(config, "ConfigMap", "postgres-settings")
        result = await services.instances.repair(orphans)
        assert result.deleted == ()
        assert result.already_gone == ("ConfigMap/postgres-settings",)
        assert "repaired 0" in result.summary()
        # A new object of the same name (another uid) is not the one the check found.
        await plant_configmap(config)
        result = await services.instances.repair(orphans)
        assert result.deleted == ()
        assert "ConfigMap/postgres-settings" in " ".join(result.skipped)
        assert "postgres-settings" in names(emulator, "configmaps", config.namespace)
        # Checked again, it is deleted — and only it.
        orphans = list((await services.instances.drift()).of_kind(DriftKind.ORPHAN))
        result = await services.instances.repair(orphans)
        assert result.deleted == ("ConfigMap/postgres-settings",)
        assert "repaired 1" in result.summary()
        assert "postgres" in names(emulator, "deployments", config.namespace)
    finally:
        await services.aclose()
