"""Adopt reads what the cluster holds, and distrusts hand-written annotations; forget and orphan
deletes read ownership one way; every production write carries the resourceVersion it read.

Real parts: the CLI in subprocesses, SQLite files, the emulator over HTTP.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeOwnedElsewhere
from claworc_tui.k8s.objects import Json
from claworc_tui.k8s.ownership import parse_overrides
from claworc_tui.k8s.store import KINDS
from claworc_tui.models.cluster import OrphanDelete
from claworc_tui.models.instance import Provider
from claworc_tui.services import open_services
from tests._support.kube import kube_of
from tests.lifecycle.test_adopt import rows
from tests.lifecycle.test_cli_safety import KEY, ok, run_cli, where


async def patch_meta(config: Settings, kind: str, name: str, meta: dict[str, Any]) -> None:
    """Another writer (kubectl) changes an object's metadata."""
    async with KubeClient(kubeconfig=config.kubeconfig, namespace=config.namespace) as kube:
        await kube.objects.patch(kind, name, {"metadata": meta})


async def replace_with_label(config: Settings, kind: str, name: str) -> None:
    """Another writer (kubectl edit) adds a label with a PUT of the whole object."""
    async with KubeClient(kubeconfig=config.kubeconfig, namespace=config.namespace) as kube:
        doc = await kube.objects.get(kind, name)
        doc["metadata"].setdefault("labels", {})["edited-by"] = "kubectl"
        await kube.objects.replace(kind, name, doc)


def other(config: Settings, tmp_path: Path) -> Settings:
    return config.model_copy(update={"db": tmp_path / "other" / "claworc.db"})


def test_hand_written_annotations_are_parsed_strictly() -> None:
    assert parse_overrides("anthropic, openai") == frozenset({Provider.ANTHROPIC, Provider.OPENAI})
    assert parse_overrides(" brave ,,bogus,") == frozenset({Provider.BRAVE})
    assert parse_overrides("") == frozenset()


async def test_a_hand_edited_overrides_annotation_does_not_break_adopt_or_forget(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    at = where(config)
    await ok(*at, "create", "Bot One")
    # As a person writes it by hand: a space after the comma.
    notes = {"annotations": {"claworc.dev/key-overrides": "anthropic, openai"}}
    await patch_meta(config, "Secret", "bot-one-keys", notes)
    fresh = where(other(config, tmp_path))
    code, out, err = await run_cli(*fresh, "adopt", "--all", "--dry-run")
    assert code == 0, out + err
    assert "Traceback" not in out + err
    assert "adopt            bot-one" in out
    out = await ok(*fresh, "adopt", "--all")
    assert "adopted 1 instance" in out
    out = await ok(*at, "forget", "bot-one")
    assert "record dropped" in out


async def test_the_service_type_wins_over_the_exposure_annotation(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    at = where(config)
    await ok(*at, "create", "Bot One")  # a NodePort Service on 30100,30101
    for kind, name in (("Deployment", "bot-one"), ("Service", "bot-one-vnc")):
        await patch_meta(config, kind, name, {"annotations": {"claworc.dev/exposure": "private"}})
    code, out, err = await run_cli(*where(other(config, tmp_path)), "adopt", "bot-one", "--dry-run")
    assert code == 0, out + err
    assert "running, nodeport, ports 30100,30101" in out, out
    assert (
        "note: its annotation says private, but its Service is NodePort: adopted as nodeport" in out
    ), out


async def test_forget_refuses_while_any_object_is_still_ours(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    one, two = where(config), where(other(config, tmp_path))
    await ok(*one, "create", "Bot One")
    labels = {
        o["metadata"]["name"]: o["metadata"]["labels"]["claworc.dev/owner"]
        for o in emulator.objects("deployments", config.namespace)
    }
    await ok(*two, "adopt", "bot-one")
    # A half-done take-over: the Deployment still carries the first database's id.
    mine = labels["bot-one"]
    await patch_meta(
        config,
        "Deployment",
        "bot-one",
        {"labels": {"claworc.dev/owner": mine}, "annotations": {"claworc.dev/owner": mine}},
    )
    code, out, err = await run_cli(*one, "forget", "bot-one")
    assert code == 2, out + err
    assert "Deployment/bot-one is not" in err, err
    assert sorted(rows(Path(str(config.db)))) == ["bot-one"]


async def create_config_map(kube: KubeClient, namespace: str, metadata: Json) -> Json:
    """Create a ConfigMap with ``metadata`` straight through the API, as another tool would."""
    return await kube.transport.call(
        "create",
        "configmaps",
        "create_namespaced_config_map",
        namespace=namespace,
        body={"metadata": metadata},
    )


async def test_an_orphan_owned_by_annotation_only_is_not_deleted(
    config: Settings, emulator: EmulatorServer
) -> None:
    async with KubeClient(kubeconfig=config.kubeconfig, namespace=config.namespace) as kube:
        stray = {
            "name": "stray-config",
            "labels": {"managed-by": "claworc", "app": "stray"},
            # A tool rewrote the labels; the annotation still says whose it is.
            "annotations": {"claworc.dev/owner": "someone-else"},
        }
        doc = await create_config_map(kube, config.namespace, stray)
        uid = doc["metadata"]["uid"]
        outcome = await kube.lifecycle.delete_orphan(
            "ConfigMap", "stray-config", uid=uid, owner="me"
        )
        assert outcome is OrphanDelete.OTHER_OWNER
    names = [o["metadata"]["name"] for o in emulator.objects("configmaps", config.namespace)]
    assert "stray-config" in names


@pytest.mark.parametrize(
    ("kind", "name", "method", "path"),
    [
        ("Deployment", "bot-one", "scale", r"/deployments/bot-one/scale$"),
        ("Deployment", "bot-one", "rollout_restart", r"/deployments/bot-one$"),
        ("Deployment", "bot-one", "redeploy", r"/deployments/bot-one$"),
        ("Secret", "bot-one-keys", "replace_secret", r"/secrets/bot-one-keys$"),
        ("ConfigMap", "bot-one-config", "replace_configmap", r"/configmaps/bot-one-config$"),
        ("Service", "bot-one-vnc", "replace_service", r"/services/bot-one-vnc$"),
        ("PersistentVolumeClaim", "bot-one-clawd", "resize_pvc", r"claims/bot-one-clawd$"),
    ],
)
async def test_every_production_write_carries_the_resource_version_it_read(
    config: Settings,
    emulator: EmulatorServer,
    kind: str,
    name: str,
    method: str,
    path: str,
) -> None:
    await ok(*where(config), "create", "Bot One")
    opened = await open_services(config.model_copy(update={"fernet_key": SecretStr(KEY)}))
    try:
        kube = kube_of(opened)
        instance = await opened.store.instances.get("bot-one")
        keys = await opened.store.effective_keys("bot-one")
        calls: dict[str, Callable[[], Coroutine[Any, Any, object]]] = {
            "scale": lambda: kube.deployments.scale("bot-one", 0),
            "rollout_restart": lambda: kube.deployments.rollout_restart("bot-one"),
            "redeploy": lambda: kube.deployments.redeploy_deployment(
                "bot-one", "example/openclaw:2"
            ),
            "replace_secret": lambda: kube.instances.replace_secret(instance, keys),
            "replace_configmap": lambda: kube.instances.replace_configmap(instance),
            "replace_service": lambda: kube.instances.replace_service(instance),
            "resize_pvc": lambda: kube.instances.resize_pvc("bot-one-clawd", "50Gi"),
        }
        # The write is held back; another writer edits only a label meanwhile (which does not
        # move a Deployment's generation).
        emulator.delay("PUT" if method.startswith("replace_") else "PATCH", path, 5.0)
        start = len(emulator.requests)
        task: asyncio.Task[object] = asyncio.create_task(calls[method]())
        deadline = time.monotonic() + 30
        read = rf"/{KINDS[kind][2]}/{name}$"
        while not any(
            r.method == "GET" and re.search(read, r.path) for r in emulator.requests[start:]
        ):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        if method.startswith("replace_"):  # the held write is a PUT: the edit is a patch
            await patch_meta(config, kind, name, {"labels": {"edited-by": "kubectl"}})
        else:  # ... and the other way round
            await replace_with_label(config, kind, name)
        with pytest.raises(KubeOwnedElsewhere) as caught:
            await task
        assert "changed by someone else since it was read" in str(caught.value)
        assert "last written by field manager" in str(caught.value)
    finally:
        await opened.aclose()


async def test_a_create_failing_on_another_databases_piece_removes_what_it_made(
    config: Settings, emulator: EmulatorServer
) -> None:
    async with KubeClient(kubeconfig=config.kubeconfig, namespace=config.namespace) as kube:
        labels = {"managed-by": "claworc", "app": "bot-x", "claworc.dev/owner": "someone-else"}
        await create_config_map(kube, config.namespace, {"name": "bot-x-config", "labels": labels})
    code, out, err = await run_cli(*where(config), "create", "Bot X")
    assert code == 1, out + err
    assert "belongs to claworc database someone-else" in err, err
    # The row and everything this create made are gone; the other database's piece stays, and
    # nothing is left that rm would be refused for.
    assert rows(Path(str(config.db))) == {}
    left = {
        f"{kind}/{o['metadata']['name']}"
        for kind in ("deployments", "services", "secrets", "configmaps", "persistentvolumeclaims")
        for o in emulator.objects(kind, config.namespace)
        if "bot-x" in o["metadata"]["name"]
    }
    assert left == {"configmaps/bot-x-config"}


async def test_an_owner_annotation_with_newlines_cannot_forge_output_lines(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    await ok(*where(config), "create", "Bot One")
    forged = "x\nadopted 9 instances\nnote: all fine"
    for kind, name in (("Deployment", "bot-one"), ("Service", "bot-one-vnc")):
        await patch_meta(
            config,
            kind,
            name,
            {"labels": {"claworc.dev/owner": None}, "annotations": {"claworc.dev/owner": forged}},
        )
    fresh = where(other(config, tmp_path))
    for argv in (("adopt", "bot-one", "--dry-run"), ("repair", "--dry-run")):
        code, out, err = await run_cli(*fresh, *argv)
        assert code == 0, out + err
        assert "x adopted 9 instances note: all fine" in out, out
        assert "\nadopted 9" not in out + err
        assert "\nnote: all fine" not in out + err


async def test_adopt_all_refuses_a_name_adopt_name_would_and_exits_alike_dry_or_not(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    await ok(*where(config), "create", "Bot One")
    async with KubeClient(kubeconfig=config.kubeconfig, namespace=config.namespace) as kube:
        doc = await kube.objects.get("Deployment", "bot-one")
        # A Deployment name may hold dots; an instance name may not.
        meta = {
            "name": "bot.two",
            "labels": {**doc["metadata"]["labels"], "app": "bot.two"},
        }
        spec = doc["spec"]
        spec["selector"]["matchLabels"]["app"] = "bot.two"
        spec["template"]["metadata"]["labels"]["app"] = "bot.two"
        await kube.transport.call(
            "create",
            "deployments",
            "create_namespaced_deployment",
            api="apps",
            namespace=config.namespace,
            body={"metadata": meta, "spec": spec},
        )
    fresh = where(other(config, tmp_path))
    codes: list[int] = []
    for dry in (["--dry-run"], []):
        code, out, _err = await run_cli(*fresh, "adopt", "--all", *dry)
        codes.append(code)
        assert "refused          bot.two" in out, out
        assert "cannot be an instance name" in out, out
    assert codes == [1, 1]


async def test_our_own_orphan_service_still_shows_the_ports_it_holds(
    config: Settings, emulator: EmulatorServer
) -> None:
    at = where(config)
    await ok(*at, "create", "Bot One")
    with sqlite3.connect(str(config.db)) as conn:  # the row is lost; the objects stay ours
        conn.execute("DELETE FROM instances WHERE name = 'bot-one'")
    code, out, err = await run_cli(*at, "repair", "--dry-run")
    assert code == 3, out + err  # drift found (as diff(1))
    assert "orphan         bot-one                      Service/bot-one-vnc" in out
    assert "nodePort 30100" in out, out
    assert "held by Service claworc/bot-one-vnc (new pairs skip it)" in out, out
