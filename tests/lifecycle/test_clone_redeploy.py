"""Clone and redeploy through InstanceService, against a real SQLite file and the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pydantic import SecretStr

from claworc_emulator import EmulatorServer
from claworc_tui.models.errors import ClaworcError, InstanceNotFound, NameTaken, ValidationFailed
from claworc_tui.models.instance import InstanceStatus, Provider, Resources, Storage
from claworc_tui.services import Services
from claworc_tui.services.errors import OperationFailed
from claworc_tui.services.views import StepState
from tests._support.instances import make
from tests._support.kube import kube_of
from tests._support.wait import wait_for
from tests.k8s.helpers import NS, running_pod

OVERRIDE = "sk-ant-api03.CLONEFAKE.CLONEFAKE-3333-dddd"
CONFIG = '{"agent": {"model": "claude"}}'


async def alpha_running(services: Services, emulator: EmulatorServer) -> str:
    """Create Bot Alpha and wait for its first pod to run; that pod's name."""
    await make(services, "Bot Alpha")
    return await wait_for(lambda: running_pod(emulator, "bot-alpha"), what="first pod")


@contextmanager
def failing_pulls(emulator: EmulatorServer, image: str | None = None) -> Iterator[None]:
    """Inside the block, bot-alpha's pods cannot pull ``image`` (by default any image); after
    it, they run normally again, whether the block failed or not."""
    emulator.image_pull_backoff(NS, "bot-alpha", image=image)
    try:
        yield
    finally:
        emulator.heal(NS, "bot-alpha")


def deployment(emulator: EmulatorServer, name: str) -> dict[str, Any]:
    return next(d for d in emulator.objects("deployments", NS) if d["metadata"]["name"] == name)


def template_image(emulator: EmulatorServer, name: str) -> str:
    return str(deployment(emulator, name)["spec"]["template"]["spec"]["containers"][0]["image"])


def restarted_at(emulator: EmulatorServer, name: str) -> str | None:
    meta = deployment(emulator, name)["spec"]["template"]["metadata"]
    return (meta.get("annotations") or {}).get("kubectl.kubernetes.io/restartedAt")


async def test_clone_copies_spec_and_keys_not_ports(
    services: Services, emulator: EmulatorServer
) -> None:
    await make(
        services,
        "Bot Alpha",
        resources=Resources(cpu_limit="3", memory_limit="6Gi"),
        storage=Storage(chrome="7Gi"),
        clawdbot_config=CONFIG,
        api_keys={Provider.ANTHROPIC: SecretStr(OVERRIDE)},
    )
    svc = services.instances
    suggested = await svc.clone_spec("bot-alpha")
    assert suggested.display_name == "Bot Alpha copy"
    spec = await svc.clone_spec("bot-alpha", "Bot Beta")
    steps = [f"{p.step}:{p.state.value}" async for p in svc.clone("bot-alpha", spec)]
    assert "deployment:done" in steps
    source, clone = await svc.get("bot-alpha"), await svc.get("bot-beta")
    assert clone.resources == source.resources
    assert clone.storage == source.storage
    assert clone.clawdbot_config == CONFIG
    assert clone.overrides == {Provider.ANTHROPIC}
    assert (await svc.store.instances.overrides("bot-beta"))[
        Provider.ANTHROPIC
    ].get_secret_value() == OVERRIDE
    assert (clone.nodeport_chrome, clone.nodeport_terminal) == (30102, 30103)
    pvcs = {p["metadata"]["name"]: p for p in emulator.objects("persistentvolumeclaims", NS)}
    assert pvcs["bot-beta-chrome"]["spec"]["resources"]["requests"]["storage"] == "7Gi"
    # The clone's suggested name moves on once "Bot Alpha copy" exists.
    await make(services, "Bot Alpha copy")
    assert (await svc.clone_spec("bot-alpha")).display_name == "Bot Alpha copy 2"
    clone_entry = next(e for e in await svc.activity() if e.action == "clone")
    assert (clone_entry.instance, clone_entry.detail) == (
        "bot-beta",
        "from bot-alpha; new ports, empty volumes (the data is not copied)",
    )


async def test_clone_refuses_a_taken_or_invalid_name(
    services: Services, emulator: EmulatorServer
) -> None:
    await make(services, "Bot Alpha")
    await make(services, "Bot Beta")
    before = len(emulator.requests)
    with pytest.raises(NameTaken, match="bot-beta"):
        await services.instances.clone_spec("bot-alpha", "Bot Beta")
    with pytest.raises(ValidationFailed, match="letters or digits"):
        await services.instances.clone_spec("bot-alpha", "###")
    with pytest.raises(InstanceNotFound):
        await services.instances.clone_spec("bot-nope", "Bot Gamma")
    assert [r for r in emulator.requests[before:] if r.method != "GET"] == []
    assert [i.name for i in await services.store.instances.list()] == ["bot-alpha", "bot-beta"]


async def test_redeploy_sets_the_image_and_rolls_the_pod(
    services: Services, emulator: EmulatorServer
) -> None:
    first = await alpha_running(services, emulator)
    svc = services.instances
    reports = [
        p async for p in svc.redeploy(["bot-alpha"], "example.com/team/bot:2.0", ready_within=20)
    ]
    assert [(p.step, p.state) for p in reports if p.state is not StepState.RUNNING] == [
        ("record", StepState.DONE),
        ("deployment", StepState.DONE),
        ("rollout", StepState.DONE),
    ]
    assert reports[-1].detail == "the new pod is ready"
    assert (await svc.get("bot-alpha")).image == "example.com/team/bot:2.0"
    assert template_image(emulator, "bot-alpha") == "example.com/team/bot:2.0"
    assert running_pod(emulator, "bot-alpha") not in (None, first)
    # The PVCs (the data) are the same objects.
    assert len([p for p in emulator.objects("persistentvolumeclaims", NS)]) == 4
    # Same tag again: no image change, a new restartedAt, another pod.
    stamp = restarted_at(emulator, "bot-alpha")
    second = running_pod(emulator, "bot-alpha")
    reports = [p async for p in svc.redeploy(["bot-alpha"], ready_within=20)]
    assert "pulled again" in (reports[1].detail or "")
    assert restarted_at(emulator, "bot-alpha") != stamp
    assert running_pod(emulator, "bot-alpha") not in (None, second)
    assert (await svc.drift()).clean


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("bad image", "contains a space"),
        ("nginx\n", r"U\+000A"),
        ("Nginx:1", "must be lower case"),
        ("nginx:1:2", "path component"),
        ("nginx@sha256:abc", "digest"),
        ("", "empty"),
    ],
)
async def test_redeploy_refuses_a_bad_image_before_anything(
    services: Services, emulator: EmulatorServer, image: str, message: str
) -> None:
    await make(services, "Bot Alpha")
    before = len(emulator.requests)
    with pytest.raises(ValidationFailed, match=message):
        async for _ in services.instances.redeploy(["bot-alpha"], image):
            pass
    assert [r for r in emulator.requests[before:] if r.method != "GET"] == []
    assert (await services.instances.get("bot-alpha")).image is None


async def test_redeploy_bulk_and_stopped(services: Services, emulator: EmulatorServer) -> None:
    await make(services, "Bot Alpha")
    await make(services, "Bot Beta")
    await services.instances.stop("bot-beta")
    reports = [
        p
        async for p in services.instances.redeploy(
            ["bot-alpha", "bot-beta"], "registry.local:5000/bot:3", ready_within=20
        )
    ]
    final = {p.name: p for p in reports}
    assert final["bot-alpha"].state is StepState.DONE
    assert final["bot-beta"].state is StepState.DONE
    assert "stopped" in (final["bot-beta"].detail or "")
    beta = await services.instances.get("bot-beta")
    assert (beta.image, beta.status) == ("registry.local:5000/bot:3", InstanceStatus.STOPPED)
    assert deployment(emulator, "bot-beta")["spec"]["replicas"] == 0
    with pytest.raises(InstanceNotFound):
        async for _ in services.instances.redeploy(["bot-alpha", "bot-nope"]):
            pass


async def test_redeploy_without_a_deployment_changes_nothing(
    services: Services, emulator: EmulatorServer
) -> None:
    await make(services, "Bot Alpha")
    await kube_of(services).lifecycle.delete_instance_objects(
        "bot-alpha", wait=True, wait_timeout=10
    )
    with pytest.raises(ClaworcError, match="repair"):
        async for _ in services.instances.redeploy(["bot-alpha"], "nginx:1"):
            pass
    assert (await services.instances.get("bot-alpha")).image is None


async def test_cancelling_the_wait_leaves_a_consistent_record(
    services: Services, emulator: EmulatorServer
) -> None:
    await make(services, "Bot Alpha")
    with failing_pulls(emulator):  # the new pod never gets ready
        stream = services.instances.redeploy(["bot-alpha"], "example.com/bot:5")
        async for progress in stream:
            if progress.step == "rollout":
                break
        await stream.aclose()  # type: ignore[attr-defined]
        instance = await services.instances.get("bot-alpha")
        assert (instance.image, instance.status) == ("example.com/bot:5", InstanceStatus.RUNNING)
        assert template_image(emulator, "bot-alpha") == "example.com/bot:5"
        entry = (await services.instances.activity())[0]
        assert (entry.action, entry.detail) == (
            "redeploy",
            "image example.com/bot:5; stopped waiting",
        )
        assert services.instances.locks.busy("bot-alpha") is None


async def test_a_crash_looping_new_pod_fails_the_rollout_and_keeps_the_image(
    services: Services, emulator: EmulatorServer
) -> None:
    await alpha_running(services, emulator)
    emulator.crash_loop(NS, "bot-alpha")
    with pytest.raises(OperationFailed, match="crash-loops") as failed:
        async for _ in services.instances.redeploy(["bot-alpha"], "example.com/bot:6"):
            pass
    assert "the previous was glukw/openclaw-vnc-chrome:latest" in failed.value.cleanup
    instance = await services.instances.get("bot-alpha")
    assert (instance.image, instance.status) == ("example.com/bot:6", InstanceStatus.RUNNING)
    assert template_image(emulator, "bot-alpha") == "example.com/bot:6"
    emulator.heal(NS, "bot-alpha")


async def test_a_redeploy_killed_before_its_patch_is_repairable(
    services: Services, emulator: EmulatorServer
) -> None:
    """The process dies after storing the image, before the patch: sweep, then repair."""
    import socket

    await make(services, "Bot Alpha")
    repo = services.store.instances
    await repo.set_image("bot-alpha", "example.com/bot:8")
    dead = f"{socket.gethostname()}:999999999"
    await repo.set_status("bot-alpha", InstanceStatus.RESTARTING, step="redeploy", owner=dead)
    swept = await services.instances.sweep()
    assert any("bot-alpha" in line for line in swept)
    assert (await services.instances.get("bot-alpha")).status is InstanceStatus.RUNNING
    report = await services.instances.drift()
    assert [(i.object, i.detail) for i in report.items] == [
        ("image", "cluster has glukw/openclaw-vnc-chrome:latest, record says example.com/bot:8")
    ]
    await services.instances.repair(report.items)
    assert template_image(emulator, "bot-alpha") == "example.com/bot:8"
    assert (await services.instances.drift()).clean
