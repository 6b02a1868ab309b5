"""Two databases (two operators) against one namespace never lose track or corrupt each other.

Real parts: the CLI in subprocesses with two SQLite files, the emulator over HTTP.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeOwnedElsewhere
from claworc_tui.k8s.objects import Json
from tests.lifecycle.test_adopt import ok, rows
from tests.lifecycle.test_cli_safety import run_cli, where


def deployments(emulator: EmulatorServer, namespace: str) -> dict[str, int]:
    return {
        o["metadata"]["name"]: o["spec"]["replicas"]
        for o in emulator.objects("deployments", namespace)
    }


async def test_two_databases_take_turns_without_losing_track(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    one = where(config)
    other_config = config.model_copy(update={"db": tmp_path / "other" / "claworc.db"})
    two = where(other_config)
    await ok(*one, "create", "Bot One")
    await ok(*two, "create", "Bot Two")
    await ok(*one, "stop", "bot-one")
    await ok(*two, "stop", "bot-two")
    await ok(*one, "start", "bot-one")
    ns = config.namespace
    assert deployments(emulator, ns) == {"bot-one": 1, "bot-two": 0}
    # Each sees the other's instance as owned elsewhere, adoptable: no drift, nothing deleted.
    for mine, theirs in ((one, "bot-two"), (two, "bot-one")):
        code, out, err = await run_cli(*mine, "repair", "--dry-run")
        assert code == 0, out + err
        assert f"owned elsewhere: {theirs}: owned by another claworc database" in out
        assert "orphan" not in out
        code, out, err = await run_cli(*mine, "repair", "--delete-orphans")
        assert code == 0, out + err
    assert deployments(emulator, ns) == {"bot-one": 1, "bot-two": 0}
    # A name the other database runs cannot be created here.
    code, out, err = await run_cli(*two, "create", "Bot One")
    assert code == 2, out + err
    assert "already runs in the cluster, owned by claworc database" in err
    assert "bot-one" not in rows(Path(str(other_config.db)))
    # The second database adopts bot-one: from now on the first one may not write it.
    out = await ok(*two, "adopt", "bot-one")
    assert "adopted 1 instance" in out
    code, out, err = await run_cli(*one, "stop", "bot-one")
    assert code == 1, out + err
    assert "belongs to claworc database" in err
    code, out, err = await run_cli(*one, "rm", "--yes", "bot-one")
    assert code == 1, out + err
    assert deployments(emulator, ns) == {"bot-one": 1, "bot-two": 0}
    # The record's error points to forget, not to a retry that would fail the same way.
    detail = rows(Path(str(config.db)))["bot-one"]["status_detail"]
    assert "`claworc-tui forget bot-one` drops this record" in detail, detail
    assert "press D again" not in detail
    code, out, err = await run_cli(*one, "repair")
    assert code == 0, out + err
    assert "owned elsewhere: bot-one" in out
    assert "claworc-tui forget bot-one" in out
    code, out, err = await run_cli(*two, "forget", "bot-one")
    assert code == 2, out + err
    assert "rm deletes it instead" in err
    # The owner stops and deletes both; the other database's table is untouched by it.
    await ok(*two, "stop", "bot-one")
    await ok(*two, "rm", "--yes", "bot-one")
    await ok(*two, "rm", "--yes", "bot-two")
    assert deployments(emulator, ns) == {}
    assert sorted(rows(Path(str(other_config.db)))) == []
    assert sorted(rows(Path(str(config.db)))) == ["bot-one"]


async def test_forget_drops_a_stale_record_and_touches_nothing_in_the_cluster(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    one = where(config)
    two = where(config.model_copy(update={"db": tmp_path / "other" / "claworc.db"}))
    await ok(*one, "create", "Bot One")
    await ok(*two, "adopt", "bot-one")
    before = {
        o["metadata"]["name"] for o in emulator.objects("persistentvolumeclaims", config.namespace)
    }
    out = await ok(*one, "forget", "bot-one")
    assert "record dropped; its objects belong to" in out
    assert rows(Path(str(config.db))) == {}
    after = {
        o["metadata"]["name"] for o in emulator.objects("persistentvolumeclaims", config.namespace)
    }
    assert after == before
    assert deployments(emulator, config.namespace) == {"bot-one": 1}
    code, out, err = await run_cli(*one, "forget", "bot-one")
    assert code == 2, out + err
    assert "no instance named bot-one" in err


async def test_a_write_on_a_stale_read_is_a_conflict_that_names_the_writer(
    config: Settings, emulator: EmulatorServer
) -> None:
    await ok(*where(config), "create", "Bot One")
    async with KubeClient(kubeconfig=config.kubeconfig, namespace=config.namespace) as kube:
        stale = await kube.objects.get("Deployment", "bot-one")
        kube.owner_id = stale["metadata"]["labels"]["claworc.dev/owner"]  # the same database
        # Someone else changes the spec (the generation moves) after our read.
        await kube.transport.call(
            "patch",
            "deployments",
            "patch_namespaced_deployment",
            api="apps",
            name="bot-one",
            namespace=config.namespace,
            body={"spec": {"template": {"metadata": {"annotations": {"x": "1"}}}}},
        )
        before = deployments(emulator, config.namespace)
        calls: list[str] = []

        async def write(live: Json) -> Json:
            calls.append(str(live["metadata"]["resourceVersion"]))
            return await kube.transport.call(
                "patch",
                "deployments/scale",
                "patch_namespaced_deployment_scale",
                api="apps",
                name="bot-one",
                namespace=config.namespace,
                body={
                    "metadata": {"resourceVersion": live["metadata"]["resourceVersion"]},
                    "spec": {"replicas": 0},
                },
            )

        with pytest.raises(KubeOwnedElsewhere) as caught:
            await kube.objects.conditional_write("Deployment", "bot-one", write, read=stale)
        assert "changed by someone else since it was read" in str(caught.value)
        assert "last written by field manager" in str(caught.value)
        assert calls == [stale["metadata"]["resourceVersion"]]
        assert deployments(emulator, config.namespace) == before


async def test_a_status_only_change_in_between_is_retried_on_the_new_version(
    config: Settings, emulator: EmulatorServer
) -> None:
    await ok(*where(config), "create", "Bot One")
    async with KubeClient(kubeconfig=config.kubeconfig, namespace=config.namespace) as kube:
        stale = await kube.objects.get("Deployment", "bot-one")
        kube.owner_id = stale["metadata"]["labels"]["claworc.dev/owner"]
        # The Deployment controller's kind of write: status only, the generation stays.
        await kube.transport.call(
            "patch",
            "deployments/status",
            "patch_namespaced_deployment_status",
            api="apps",
            name="bot-one",
            namespace=config.namespace,
            body={"status": {"conditions": [{"type": "ClaworcTest", "status": "True"}]}},
        )
        fresh = await kube.objects.get("Deployment", "bot-one")
        assert fresh["metadata"]["resourceVersion"] != stale["metadata"]["resourceVersion"]
        assert fresh["metadata"]["generation"] == stale["metadata"]["generation"]
        seen: list[str] = []

        async def write(live: Json) -> Json:
            seen.append(str(live["metadata"]["resourceVersion"]))
            return await kube.transport.call(
                "patch",
                "deployments/scale",
                "patch_namespaced_deployment_scale",
                api="apps",
                name="bot-one",
                namespace=config.namespace,
                body={
                    "metadata": {"resourceVersion": live["metadata"]["resourceVersion"]},
                    "spec": {"replicas": 0},
                },
            )

        await kube.objects.conditional_write("Deployment", "bot-one", write, read=stale)
        assert seen[0] == stale["metadata"]["resourceVersion"]
        assert len(seen) >= 2  # the controller may write status again meanwhile
        assert deployments(emulator, config.namespace) == {"bot-one": 0}
