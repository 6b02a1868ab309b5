"""Redeploy keeps what the user decided: a half-stopped instance stays stopped, another live
process's operation is refused, a timeout is a failure, a rollback reverts only our own change
and only after the pull failure persisted, and "pull again" pulls (imagePullPolicy Always)."""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.models.activity import Outcome
from claworc_tui.models.instance import InstanceStatus
from claworc_tui.models.remedy import Advice, Remedy
from claworc_tui.services import Services
from claworc_tui.services.errors import OperationFailed, OperationInProgress
from claworc_tui.services.redeploy_one import PULL_FAILURES
from claworc_tui.services.views import StepState
from tests._support.instances import make
from tests._support.kube import kube_of
from tests._support.wait import wait_for
from tests.k8s.helpers import pods_of, running_pod
from tests.lifecycle.test_cli import cli
from tests.lifecycle.test_clone_redeploy import (
    alpha_running,
    deployment,
    failing_pulls,
    template_image,
)

OLD = "glukw/openclaw-vnc-chrome:latest"
DEAD = f"{socket.gethostname()}:999999999"


def container(emulator: EmulatorServer, name: str) -> dict[str, Any]:
    spec = deployment(emulator, name)["spec"]["template"]["spec"]
    return dict(spec["containers"][0])


def pulling_fails(emulator: EmulatorServer, name: str) -> bool:
    for pod in pods_of(emulator, name):
        status: Any = pod.get("status") or {}
        for container_status in status.get("containerStatuses") or []:
            waiting = (container_status.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in PULL_FAILURES:
                return True
    return False


async def run(services: Services, image: str | None, **kwargs: Any) -> list[Any]:
    return [p async for p in services.instances.redeploy(["bot-alpha"], image, **kwargs)]


@pytest.mark.parametrize("left", [InstanceStatus.STOPPING, InstanceStatus.ERROR])
async def test_a_half_stopped_instance_stays_stopped(
    services: Services, emulator: EmulatorServer, left: InstanceStatus
) -> None:
    """A stop that died after scaling to 0: redeploy must not record it as running."""
    await make(services, "Bot Alpha")
    await kube_of(services).deployments.scale("bot-alpha", 0)
    owner = DEAD if left is InstanceStatus.STOPPING else None
    step = "scale" if owner else None
    await services.store.instances.set_status("bot-alpha", left, step=step, owner=owner)
    reports = await run(services, "example.com/bot:2", ready_within=20)
    assert reports[-1].detail == "nothing to roll (stopped: 0 replicas)"
    instance = await services.instances.get("bot-alpha")
    assert (instance.status, instance.op_owner) == (left, owner)
    assert (instance.image, template_image(emulator, "bot-alpha")) == ("example.com/bot:2",) * 2
    assert deployment(emulator, "bot-alpha")["spec"]["replicas"] == 0
    if left is InstanceStatus.STOPPING:
        # The sweep finishes the dead process's stop, and repair keeps it: the user's stop holds.
        await services.instances.sweep()
        assert (await services.instances.get("bot-alpha")).status is InstanceStatus.STOPPED
        await services.instances.repair((await services.instances.drift()).items)
        assert deployment(emulator, "bot-alpha")["spec"]["replicas"] == 0


async def test_an_instance_another_live_process_works_on_is_refused(
    services: Services, emulator: EmulatorServer
) -> None:
    await make(services, "Bot Alpha")
    alive = f"{socket.gethostname()}:{os.getppid()}"
    repo = services.store.instances
    await repo.set_status("bot-alpha", InstanceStatus.STOPPING, step="scale", owner=alive)
    before = len(emulator.requests)
    with pytest.raises(OperationInProgress, match=r"bot-alpha is busy: stopping at step scale"):
        await run(services, "example.com/bot:2")
    assert [r for r in emulator.requests[before:] if r.method != "GET"] == []
    instance = await services.instances.get("bot-alpha")
    assert (instance.image, instance.status, instance.op_owner) == (
        None,
        InstanceStatus.STOPPING,
        alive,
    )


async def test_a_rollout_not_ready_in_time_is_a_failure_and_error_stays_error(
    services: Services, emulator: EmulatorServer
) -> None:
    await make(services, "Bot Alpha")
    await services.store.instances.set_status("bot-alpha", InstanceStatus.ERROR, detail="boom")
    with failing_pulls(emulator):  # never ready; too short a wait to roll back
        with pytest.raises(OperationFailed, match="not ready after 1 s") as failed:
            await run(services, "example.com/bot:3", ready_within=1)
        cleanup = failed.value.cleanup
        assert "The rollout goes on and the instance keeps example.com/bot:3" in cleanup
        assert f"the previous was {OLD}" in cleanup
        # How to go back is data: each front end words it (a command, a key).
        assert failed.value.advice == (Advice(Remedy.REDEPLOY, "bot-alpha", OLD),)
        instance = await services.instances.get("bot-alpha")
        assert (instance.status, instance.image) == (InstanceStatus.ERROR, "example.com/bot:3")
        entry = (await services.instances.activity())[0]
        assert (entry.action, entry.outcome) == ("redeploy", Outcome.FAILED)


@pytest.mark.parametrize("image", [None, "example.com/bot:3"])
async def test_cli_redeploy_timeout_is_not_reported_as_redeployed(
    config: Settings, emulator: EmulatorServer, image: str | None
) -> None:
    assert (await cli(config, "create", "Bot Alpha"))[0] == 0
    with failing_pulls(emulator):
        new = ["--image", image] if image else []
        code, out, err = await cli(config, "redeploy", *new, "--timeout", "1", "bot-alpha")
        assert code == 1, out + err
        assert "redeployed" not in out
        assert "not ready after 1 s" in err
        # A new image: the command that goes back to the old one, for the same database.
        back = f"redeploy --image {OLD} bot-alpha` goes back to the image it ran before."
        if image is None:
            assert "goes back" not in err  # the same image pulled again: nothing to go back to
        else:
            assert back in err, err
            assert "`claworc-tui --db " in err


async def test_a_rollback_puts_back_the_old_image_which_runs_again(
    services: Services, emulator: EmulatorServer
) -> None:
    await alpha_running(services, emulator)
    with failing_pulls(emulator, image="example.com/missing:9"):
        with pytest.raises(OperationFailed, match=r"ErrImagePull|ImagePullBackOff") as failed:
            await run(services, "example.com/missing:9", ready_within=60)
        assert f"Rolled back to {OLD}: its pod runs again; the record has it again." in (
            failed.value.cleanup
        )
        instance = await services.instances.get("bot-alpha")
        assert (instance.image, instance.status) == (None, InstanceStatus.RUNNING)
        assert template_image(emulator, "bot-alpha") == OLD
        assert running_pod(emulator, "bot-alpha") is not None


async def test_a_transient_pull_failure_does_not_roll_back(
    services: Services, emulator: EmulatorServer
) -> None:
    """One failed pull (a registry's 429) that the next pull overcomes: no rollback."""
    await alpha_running(services, emulator)
    with failing_pulls(emulator, image="example.com/bot:4"):
        task = asyncio.ensure_future(run(services, "example.com/bot:4", ready_within=60))
        await wait_for(lambda: pulling_fails(emulator, "bot-alpha"), what="a failing pull")
        mark = len(emulator.requests)

        def looked_again() -> bool:  # the redeploy saw the failure on several of its polls
            lists = [r for r in emulator.requests[mark:] if r.method == "GET" and "/pods" in r.path]
            return len(lists) >= 3

        await wait_for(looked_again, what="the redeploy polling the failing pod")
    reports = await task
    assert reports[-1].state is StepState.DONE
    assert reports[-1].detail == "the new pod is ready"
    assert template_image(emulator, "bot-alpha") == "example.com/bot:4"
    assert (await services.instances.get("bot-alpha")).image == "example.com/bot:4"


async def test_a_rollback_does_not_revert_someone_elses_change(
    services: Services, emulator: EmulatorServer
) -> None:
    await alpha_running(services, emulator)
    with failing_pulls(emulator):  # every image fails to pull
        stream = services.instances.redeploy(["bot-alpha"], "example.com/bot:5", ready_within=60)

        async def follow() -> None:
            async for progress in stream:
                if progress.step == "rollout" and progress.state is StepState.RUNNING:
                    # Another operator sets another image while we wait.
                    await kube_of(services).deployments.redeploy_deployment(
                        "bot-alpha", "example.com/other:1"
                    )

        with pytest.raises(OperationFailed, match="ImagePull") as failed:
            await follow()
        assert "Not rolled back" in failed.value.cleanup
        assert template_image(emulator, "bot-alpha") == "example.com/other:1"


async def test_a_rollback_not_seen_running_says_sent(
    services: Services, emulator: EmulatorServer
) -> None:
    await make(services, "Bot Alpha")
    with failing_pulls(emulator):  # the old image fails too
        with pytest.raises(OperationFailed) as failed:
            await run(services, "example.com/bot:7", ready_within=14)
        assert f"Rollback to {OLD} sent (not yet seen running)" in failed.value.cleanup
        assert "Rolled back" not in failed.value.cleanup
        assert template_image(emulator, "bot-alpha") == OLD
        assert (await services.instances.get("bot-alpha")).image is None


async def test_redeploy_sets_image_pull_policy_always(
    services: Services, emulator: EmulatorServer
) -> None:
    """A Deployment made with IfNotPresent (adopted, or by the original Claworc) re-pulls."""
    await make(services, "Bot Alpha")
    kube = kube_of(services)
    await kube.deployments._patch_deployment(
        "bot-alpha",
        {
            "spec": {
                "template": {
                    "spec": {"containers": [{"name": "moltbot", "imagePullPolicy": "IfNotPresent"}]}
                }
            }
        },
    )
    assert container(emulator, "bot-alpha")["imagePullPolicy"] == "IfNotPresent"
    deployed = await kube.deployments.redeploy_deployment("bot-alpha", OLD)
    assert deployed.image == OLD
    main = container(emulator, "bot-alpha")
    assert main["imagePullPolicy"] == "Always"
    assert main["volumeMounts"], "the strategic merge kept the rest of the container"
    assert len(deployment(emulator, "bot-alpha")["spec"]["template"]["spec"]["containers"]) == 1


async def test_the_rollback_row_update_only_replaces_our_own_image(services: Services) -> None:
    """``UPDATE … WHERE image IS ?``: another writer's image stays."""
    await make(services, "Bot Alpha")
    repo = services.store.instances
    await repo.set_image("bot-alpha", "example.com/theirs:1")
    assert not await repo.set_image_if("bot-alpha", None, expected="example.com/ours:2")
    assert (await repo.get("bot-alpha")).image == "example.com/theirs:1"
    assert await repo.set_image_if("bot-alpha", None, expected="example.com/theirs:1")
    assert (await repo.get("bot-alpha")).image is None
