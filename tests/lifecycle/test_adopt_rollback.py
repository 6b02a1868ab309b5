"""A failed adopt leaves nothing half-taken: every object given back exactly, or a record kept.

Real parts: a second database opened in-process on its own SQLite file, the first one through
the CLI, the emulator over HTTP with injected failures (403, 409, 422, 500, a give-back that
fails, a cancelled adopt).
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import SecretStr

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.store import KINDS as KINDS_BY_NAME
from claworc_tui.models.instance import InstanceStatus
from claworc_tui.services import Services, open_services
from claworc_tui.services.views import AdoptAction
from tests._support.kube import kube_of
from tests._support.wait import wait_for
from tests.lifecycle.test_cli_safety import KEY, ok, run_cli, where

OUR_ANNOTATIONS = (
    "claworc.dev/owner",
    "claworc.dev/display-name",
    "claworc.dev/exposure",
    "claworc.dev/key-overrides",
    "claworc.dev/nodeports",
)
KINDS = ("deployments", "services", "secrets", "configmaps", "persistentvolumeclaims")
Marks = dict[str, tuple[dict[str, Any], dict[str, Any]]]


def marks(emulator: EmulatorServer, namespace: str) -> Marks:
    """Our labels and annotations (``claworc.dev/*``) of every labelled object, by kind/name."""
    out: Marks = {}
    for kind in KINDS:
        for o in emulator.objects(kind, namespace):
            meta = o["metadata"]
            if (meta.get("labels") or {}).get("managed-by") != "claworc":
                continue
            out[f"{kind}/{meta['name']}"] = (
                {k: v for k, v in (meta.get("labels") or {}).items() if "claworc.dev/" in k},
                {k: v for k, v in (meta.get("annotations") or {}).items() if "claworc.dev/" in k},
            )
    return out


def owners(emulator: EmulatorServer, namespace: str) -> dict[str, str | None]:
    return {
        k: labels.get("claworc.dev/owner") for k, (labels, _) in marks(emulator, namespace).items()
    }


@asynccontextmanager
async def second(config: Settings, tmp_path: Path) -> AsyncIterator[Services]:
    """A second database (another operator) on the same namespace."""
    # The same key as the CLI runs with, so the CLI can open this database too.
    update = {"db": tmp_path / "two" / "c.db", "fernet_key": SecretStr(KEY)}
    async with aclosing(await open_services(config.model_copy(update=update))) as opened:
        yield opened


async def make_legacy(config: Settings, name: str, owner: str | None = None) -> None:
    """Strip the owner label and all our annotations, as an app before owner ids left them
    (with ``owner``: then set the owner annotation alone)."""
    notes: dict[str, str | None] = dict.fromkeys(OUR_ANNOTATIONS)
    notes["claworc.dev/owner"] = owner
    body = {"metadata": {"labels": {"claworc.dev/owner": None}, "annotations": notes}}
    async with KubeClient(kubeconfig=config.kubeconfig, namespace=config.namespace) as kube:
        for obj in (await kube.adopt.read_found(name)).objects:
            api, suffix, plural = KINDS_BY_NAME[obj.kind]
            await kube.transport.call(
                "patch",
                plural,
                f"patch_namespaced_{suffix}",
                api=api,
                name=obj.name,
                namespace=config.namespace,
                body=body,
            )


@pytest.mark.parametrize("shape", ["other-database", "legacy", "annotation-only"])
@pytest.mark.parametrize(
    ("status", "reason"),
    [(409, "Conflict"), (403, "Forbidden"), (422, "Invalid"), (500, "InternalError")],
)
async def test_a_take_over_failing_mid_way_gives_every_object_back_exactly(
    config: Settings,
    emulator: EmulatorServer,
    tmp_path: Path,
    status: int,
    reason: str,
    shape: str,
) -> None:
    await ok(*where(config), "create", "Bot One")
    if shape != "other-database":
        await make_legacy(config, "bot-one")
    if shape == "annotation-only":
        # The owner only in an annotation, as no label value may be (a label write of it is 422).
        await make_legacy(config, "bot-one", owner="db one/ops\nteam")
    before = marks(emulator, config.namespace)
    assert len(before) == 8
    # The Deployment and Service are patched first; the Secret's patch fails (a narrower Role,
    # a webhook, an apiserver error) — not only a 409.
    emulator.inject_failure(
        "PATCH", r"/secrets/bot-one-keys$", status=status, reason=reason, message="injected"
    )
    async with second(config, tmp_path) as two:
        done = await two.instances.adopt(["bot-one"])
        assert done.candidates[0].action is AdoptAction.CONFLICT, done
        assert await two.store.instances.find("bot-one") is None
    # Owner label, owner annotation and our other annotations as they were (absent ones absent).
    assert marks(emulator, config.namespace) == before


async def test_a_give_back_that_fails_keeps_the_record_and_repair_finishes_the_adopt(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    await ok(*where(config), "create", "Bot One")
    await make_legacy(config, "bot-one")
    leave_the_adopt_half_done(emulator, 500, "InternalError")
    async with second(config, tmp_path) as two:
        mine = kube_of(two).owner_id
        done = await two.instances.adopt(["bot-one"])
        assert done.candidates[0].action is AdoptAction.CONFLICT
        assert "adopt not finished" in done.candidates[0].detail
        record = await two.store.instances.get("bot-one")
        assert record.status is InstanceStatus.ERROR
        assert record.op_step == "adopt"
        held = owners(emulator, config.namespace)
        assert held["deployments/bot-one"] == mine
        assert held["services/bot-one-vnc"] is None  # given back
        at = where(two.config)
    # The half-taken instance is no orphan: nothing is deleted, and repair finishes the adopt.
    code, out, err = await run_cli(*at, "repair", "--dry-run")
    assert code == 0, out + err
    assert "orphan" not in out
    assert "owned elsewhere: bot-one: owned by no claworc database (made before owner ids); " in out
    again = shlex.join(["claworc-tui", *at, "adopt", "bot-one"])  # for this database
    assert f"an adopt here did not finish -> {again}" in out, out
    code, out, err = await run_cli(*at, "repair", "--delete-orphans")
    assert code == 0, out + err
    assert len(marks(emulator, config.namespace)) == 8
    out = await ok(*at, "adopt", "bot-one")
    assert "adopted 1 instance" in out, out
    assert set(owners(emulator, config.namespace).values()) == {mine}
    assert len(marks(emulator, config.namespace)) == 8
    async with second(config, tmp_path) as two:
        assert (await two.store.instances.get("bot-one")).status is InstanceStatus.RUNNING


def leave_the_adopt_half_done(emulator: EmulatorServer, status: int, reason: str) -> None:
    """The next adopt of bot-one fails at its Secret (``status``/``reason``), and giving back
    what it took fails too: the Deployment's take-over patch passes, its give-back gets a 500."""
    emulator.inject_failure(
        "PATCH", r"/secrets/bot-one-keys$", status=status, reason=reason, message="x"
    )
    emulator.inject_failure(
        "PATCH", r"/deployments/bot-one$", status=500, reason="InternalError", message="y", after=1
    )


async def cancel_adopt_once_it_holds_the_deployment(
    two: Services, emulator: EmulatorServer, namespace: str
) -> None:
    """Start adopting bot-one in ``two``; once its Deployment carries ``two``'s owner id, and the
    adopt is still running, cancel it (Ctrl-C, or the UI's worker cancelled). The cancel goes
    through (CancelledError) and leaves no record."""
    mine = kube_of(two).owner_id
    task = asyncio.create_task(two.instances.adopt(["bot-one"]))
    await wait_for(
        lambda: owners(emulator, namespace)["deployments/bot-one"] == mine,
        timeout=30,
        what="the Deployment taken over",
    )
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await two.store.instances.find("bot-one") is None


@pytest.mark.parametrize(
    ("hold", "path", "seconds"),
    [
        # The Deployment is taken, the Secret's patch is held: the cancel lands between them.
        ("delay", r"/secrets/bot-one-keys$", 10.0),
        # The cancel lands after the server carried the Deployment's patch out but before its
        # answer came back: the give-back must still hand the Deployment back.
        ("delay_answer", r"/deployments/bot-one$", 1.5),
    ],
    ids=["between-two-writes", "while-a-write-is-in-flight"],
)
async def test_a_cancelled_adopt_gives_back_what_it_took(
    config: Settings,
    emulator: EmulatorServer,
    tmp_path: Path,
    hold: Literal["delay", "delay_answer"],
    path: str,
    seconds: float,
) -> None:
    await ok(*where(config), "create", "Bot One")
    before = marks(emulator, config.namespace)
    getattr(emulator, hold)("PATCH", path, seconds)
    async with second(config, tmp_path) as two:
        await cancel_adopt_once_it_holds_the_deployment(two, emulator, config.namespace)
    assert marks(emulator, config.namespace) == before


async def test_rm_racing_an_adopt_by_another_database_deletes_nothing(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    await ok(*where(config), "create", "Bot One")
    # The first database's deletes are held back; the other database adopts meanwhile.
    emulator.delay("DELETE", r"bot-one", 15.0)
    start = len(emulator.requests)
    rm = asyncio.create_task(run_cli(*where(config), "rm", "--yes", "bot-one", within=60))

    def read_all() -> bool:
        seen = {r.path for r in emulator.requests[start:] if r.method == "GET"}
        return sum(1 for p in seen if "/persistentvolumeclaims/bot-one-" in p) == 4

    await wait_for(read_all, timeout=30, what="rm to have read the four PVCs")
    async with second(config, tmp_path) as two:
        done = await two.instances.adopt(["bot-one"])
        assert done.candidates[0].action is AdoptAction.ADOPTED, done
        mine = kube_of(two).owner_id
    code, out, err = await rm
    assert code == 1, out + err
    assert "changed meanwhile" in err, err
    assert "nothing was deleted" in err, err
    # Every object — the PVCs with the data — is still there, the other database's.
    assert set(owners(emulator, config.namespace).values()) == {mine}
    assert len(marks(emulator, config.namespace)) == 8


async def test_repair_from_the_drift_view_finishes_a_half_done_adopt(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    await ok(*where(config), "create", "Bot One")
    leave_the_adopt_half_done(emulator, 403, "Forbidden")
    async with second(config, tmp_path) as two:
        mine = kube_of(two).owner_id
        await two.instances.adopt(["bot-one"])
        report = await two.instances.drift()
        half = [i for i in report.items if i.instance == "bot-one"]
        assert [(i.kind.value, i.repair) for i in half] == [
            ("owned elsewhere", "finish the adopt here")
        ]
        assert not [i for i in report.items if i.kind.value == "orphan"]
        result = await two.instances.repair(report.items)
        assert any("finishing the adopt: adopted" in s for s in result.skipped), result
        assert (await two.store.instances.get("bot-one")).status is InstanceStatus.RUNNING
    assert set(owners(emulator, config.namespace).values()) == {mine}
