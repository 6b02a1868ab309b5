"""Two databases (two operators) against one namespace never lose track or corrupt each other.

Real parts: the CLI in subprocesses with two SQLite files, the emulator over HTTP.
"""

from __future__ import annotations

import shlex
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeOwnedElsewhere
from claworc_tui.k8s.objects import Json
from tests.lifecycle.test_adopt import rows
from tests.lifecycle.test_cli_safety import ok, run_cli, where


def typed(flags: list[str], *words: str) -> str:
    """The command line the CLI advises, with this run's global options, in backquotes."""
    return f"`{shlex.join(['claworc-tui', *flags, *words])}`"


def deployments(emulator: EmulatorServer, namespace: str) -> dict[str, int]:
    return {
        o["metadata"]["name"]: o["spec"]["replicas"]
        for o in emulator.objects("deployments", namespace)
    }


@asynccontextmanager
async def bot_one_read_by_its_database(config: Settings) -> AsyncIterator[tuple[KubeClient, Json]]:
    """Create Bot One; a client writing as the database that owns it, and its read of the
    Deployment (stale once anything writes it)."""
    await ok(*where(config), "create", "Bot One")
    async with KubeClient(kubeconfig=config.kubeconfig, namespace=config.namespace) as kube:
        stale = await kube.objects.get("Deployment", "bot-one")
        kube.owner_id = stale["metadata"]["labels"]["claworc.dev/owner"]
        yield kube, stale


async def patch_bot_one(
    kube: KubeClient, namespace: str, body: Json, *, subresource: str | None = None
) -> Json:
    """Patch bot-one's Deployment, or its ``subresource`` ("status", as the Deployment
    controller writes; "scale"); the answer."""
    suffix = f"_{subresource}" if subresource else ""
    plural = f"deployments/{subresource}" if subresource else "deployments"
    return await kube.transport.call(
        "patch",
        plural,
        f"patch_namespaced_deployment{suffix}",
        api="apps",
        name="bot-one",
        namespace=namespace,
        body=body,
    )


def scale_bot_one_to_zero(
    kube: KubeClient, namespace: str, seen: list[str]
) -> Callable[[Json], Awaitable[Json]]:
    """A write for ``kube.conditional_write``: scale bot-one to 0, on the resourceVersion it is
    handed (so a stale one is refused), noting each version it was handed in ``seen``."""

    async def write(live: Json) -> Json:
        version = live["metadata"]["resourceVersion"]
        seen.append(str(version))
        body = {"metadata": {"resourceVersion": version}, "spec": {"replicas": 0}}
        return await patch_bot_one(kube, namespace, body, subresource="scale")

    return write


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
    assert f"{typed(two, 'adopt', 'bot-one')} adopts it here." in err, err
    assert "bot-one" not in rows(Path(str(other_config.db)))
    # The second database adopts bot-one: from now on the first one may not write it.
    out = await ok(*two, "adopt", "bot-one")
    assert "adopted 1 instance" in out
    code, out, err = await run_cli(*one, "stop", "bot-one")
    assert code == 1, out + err
    assert "belongs to claworc database" in err
    assert f"{typed(one, 'adopt', 'bot-one')} adopts it here." in err, err
    code, out, err = await run_cli(*one, "rm", "--yes", "bot-one")
    assert code == 1, out + err
    assert f"{typed(one, 'forget', 'bot-one')} drops this record" in err, err
    assert "retries it" not in err
    assert deployments(emulator, ns) == {"bot-one": 1, "bot-two": 0}
    # The record's error points to forget, not to a retry that would fail the same way.
    detail = rows(Path(str(config.db)))["bot-one"]["status_detail"]
    assert "`claworc-tui forget bot-one` drops this record" in detail, detail
    assert "press D again" not in detail
    code, out, err = await run_cli(*one, "repair")
    assert code == 0, out + err
    assert "owned elsewhere: bot-one" in out
    assert typed(one, "forget", "bot-one").strip("`") in out, out  # for this database
    code, out, err = await run_cli(*two, "forget", "bot-one")
    assert code == 2, out + err
    assert f"{typed(two, 'rm', 'bot-one')} deletes it instead." in err, err
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
    async with bot_one_read_by_its_database(config) as (kube, stale):
        # Someone else changes the spec (the generation moves) after our read.
        spec = {"spec": {"template": {"metadata": {"annotations": {"x": "1"}}}}}
        await patch_bot_one(kube, config.namespace, spec)
        before = deployments(emulator, config.namespace)
        calls: list[str] = []
        write = scale_bot_one_to_zero(kube, config.namespace, calls)

        with pytest.raises(KubeOwnedElsewhere) as caught:
            await kube.objects.conditional_write("Deployment", "bot-one", write, read=stale)
        assert "changed by someone else since it was read" in str(caught.value)
        assert "last written by field manager" in str(caught.value)
        assert calls == [stale["metadata"]["resourceVersion"]]
        assert deployments(emulator, config.namespace) == before


async def test_a_status_only_change_in_between_is_retried_on_the_new_version(
    config: Settings, emulator: EmulatorServer
) -> None:
    async with bot_one_read_by_its_database(config) as (kube, stale):
        # The Deployment controller's kind of write: status only, the generation stays.
        status = {"status": {"conditions": [{"type": "ClaworcTest", "status": "True"}]}}
        await patch_bot_one(kube, config.namespace, status, subresource="status")
        fresh = await kube.objects.get("Deployment", "bot-one")
        assert fresh["metadata"]["resourceVersion"] != stale["metadata"]["resourceVersion"]
        assert fresh["metadata"]["generation"] == stale["metadata"]["generation"]
        seen: list[str] = []
        write = scale_bot_one_to_zero(kube, config.namespace, seen)

        await kube.objects.conditional_write("Deployment", "bot-one", write, read=stale)
        assert seen[0] == stale["metadata"]["resourceVersion"]
        assert len(seen) >= 2  # the controller may write status again meanwhile
        assert deployments(emulator, config.namespace) == {"bot-one": 0}
