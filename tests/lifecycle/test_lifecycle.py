"""The whole lifecycle through InstanceService, against a real SQLite file and the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest
from pydantic import SecretStr

from claworc_emulator import EmulatorServer
from claworc_tui.models.errors import ClaworcError, NameTaken, ValidationFailed
from claworc_tui.models.instance import InstanceSpec, InstanceStatus, Provider, Resources, Storage
from claworc_tui.services import Services
from claworc_tui.services.errors import OperationFailed, OperationInProgress
from claworc_tui.services.views import StepState
from tests._support.kube import foreign_node_port_service, kube_of
from tests._support.wait import wait_for
from tests.k8s.helpers import NS

GLOBAL = "sk-ant-api03.GLOBALFAKE.GLOBALFAKE-0000-aaaa"
OVERRIDE = "sk-ant-api03.OVERRIDEFAKE.OVERRIDE-1111-bbbb"


async def create(services: Services, display: str, **kwargs: object) -> list[str]:
    steps = []
    async for p in services.instances.create(InstanceSpec(display_name=display, **kwargs)):
        steps.append(f"{p.step}:{p.state.value}")
    return steps


def names(emulator: EmulatorServer, plural: str) -> set[str]:
    return {o["metadata"]["name"] for o in emulator.objects(plural, NS)}


#: What an instance is made of in the cluster (its pods aside).
INSTANCE_OBJECTS = ("persistentvolumeclaims", "secrets", "configmaps", "services", "deployments")


def leftovers(
    emulator: EmulatorServer, prefix: str, plurals: tuple[str, ...] = INSTANCE_OBJECTS
) -> dict[str, set[str]]:
    """The objects named ``prefix…`` still in the cluster, by plural (those with none left out)."""
    found = {
        plural: {n for n in names(emulator, plural) if n.startswith(prefix)} for plural in plurals
    }
    return {plural: left for plural, left in found.items() if left}


async def view_status(services: Services, name: str) -> str:
    return next(v.status for v in await services.instances.list_views() if v.name == name)


async def test_create_makes_every_object_and_runs(
    services: Services, emulator: EmulatorServer
) -> None:
    steps = await create(services, "Bot Alpha")
    assert steps[0] == "record:running"
    assert {"volumes:done", "secret:done", "config:done", "service:done", "deployment:done"} <= set(
        steps
    )
    assert names(emulator, "persistentvolumeclaims") == {
        "bot-alpha-clawdbot",
        "bot-alpha-homebrew",
        "bot-alpha-clawd",
        "bot-alpha-chrome",
    }
    assert names(emulator, "secrets") >= {"bot-alpha-keys"}
    assert names(emulator, "configmaps") >= {"bot-alpha-config"}
    assert names(emulator, "services") == {"bot-alpha-vnc"}
    assert names(emulator, "deployments") == {"bot-alpha"}
    inst = await services.instances.get("bot-alpha")
    assert inst.status is InstanceStatus.RUNNING
    assert (inst.nodeport_chrome, inst.nodeport_terminal) == (30100, 30101)
    await wait_for(lambda: view_status(services, "bot-alpha"), what="view")
    await wait_for(
        lambda: _eq(view_status(services, "bot-alpha"), "Running"), timeout=10, what="Running"
    )
    urls = await services.instances.urls("bot-alpha")
    assert urls.chrome == "http://203.0.113.10:30100/vnc.html?autoconnect=true"
    assert urls.terminal == "http://203.0.113.10:30101/vnc.html?autoconnect=true"
    entries = await services.instances.activity()
    assert entries[0].action == "create"
    assert entries[0].outcome.value == "ok"
    assert any(c.resource == "deployments" and c.status == 201 for c in entries[0].calls)


async def _eq(value: Awaitable[object], expected: object) -> bool:
    return (await value) == expected


async def test_create_request_count_and_depth(services: Services, emulator: EmulatorServer) -> None:
    before = len(emulator.requests)
    await create(services, "Counted")
    writes = [r for r in emulator.requests[before:] if r.method != "GET" or "services" in r.path]
    assert len(emulator.requests[before:]) <= 10, [r.path for r in emulator.requests[before:]]
    assert writes


async def test_second_create_of_the_same_name_is_refused(services: Services) -> None:
    await create(services, "Twin")
    with pytest.raises(NameTaken, match="bot-twin already exists"):
        await create(services, "twin")


async def test_concurrent_identical_creates_make_one(
    services: Services, emulator: EmulatorServer
) -> None:
    results = await asyncio.gather(
        create(services, "Racer"), create(services, "Racer"), return_exceptions=True
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1
    assert isinstance(errors[0], NameTaken | OperationInProgress)
    assert names(emulator, "deployments") == {"bot-racer"}


async def test_failure_at_each_step_rolls_back(
    services: Services, emulator: EmulatorServer
) -> None:
    for pattern, step in [
        (r"/persistentvolumeclaims$", "volumes"),
        (r"/secrets$", "secret"),
        (r"/configmaps$", "config"),
        (r"/services$", "service"),
        (r"/deployments$", "deployment"),
    ]:
        emulator.inject_failure(
            "POST", pattern, status=500, reason="InternalError", message=f"boom at {step}"
        )
        with pytest.raises(OperationFailed) as info:
            await create(services, "Fragile")
        assert info.value.step == step
        assert "rolled back" in str(info.value) or "removed" in str(info.value)
        assert await services.store.instances.find("bot-fragile") is None
        assert leftovers(emulator, "bot-fragile") == {}
        assert await services.store.instances.used_ports() == set()
    await create(services, "Fragile")
    assert (await services.instances.get("bot-fragile")).nodeport_chrome == 30100


async def test_steps_still_running_when_another_fails_say_how_they_ended(
    services: Services, emulator: EmulatorServer
) -> None:
    """Volumes, Secret, ConfigMap and Service are created together: when the Service fails while
    the volumes' answers are still on the way, the volumes did not fail. Their step must end
    "done" (it stayed "running", and the progress modal showed it failed)."""
    emulator.delay_answer("POST", r"/persistentvolumeclaims$", 0.5)
    emulator.inject_failure(
        "POST", r"/services$", status=403, reason="Forbidden", message="services is forbidden"
    )
    last: dict[str, StepState] = {}

    async def follow() -> None:
        async for progress in services.instances.create(InstanceSpec(display_name="Slow Disks")):
            last[progress.step] = progress.state

    with pytest.raises(OperationFailed) as info:
        await follow()
    assert info.value.step == "service"
    assert last["volumes"] is StepState.DONE, last
    assert last["service"] is StepState.RUNNING  # the one that failed: OperationFailed says so
    assert leftovers(emulator, "bot-slow-disks") == {}


async def test_cancel_mid_create_rolls_back(services: Services, emulator: EmulatorServer) -> None:
    emulator.config.latency = 0.2

    async def run() -> None:
        await create(services, "Cancelled")

    task = asyncio.create_task(run())
    await wait_for(lambda: bool(names(emulator, "persistentvolumeclaims")), what="pvcs")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    emulator.config.latency = 0.0
    assert await services.store.instances.find("bot-cancelled") is None
    await wait_for(lambda: not names(emulator, "persistentvolumeclaims"), what="pvcs gone")
    assert not names(emulator, "deployments")
    entries = await services.instances.activity()
    assert entries[0].outcome.value == "cancelled"


async def test_port_conflict_moves_to_next_pair(
    services: Services, emulator: EmulatorServer
) -> None:
    # Another Service in the cluster appears holding 30100 after our listing: the 422 moves us on.
    emulator.inject_failure(
        "POST",
        r"/services$",
        status=422,
        reason="Invalid",
        message='Service "bot-late-vnc" is invalid: spec.ports[0].nodePort: Invalid value: '
        "30100: provided port is already allocated",
    )
    await create(services, "Late")
    inst = await services.instances.get("bot-late")
    assert inst.nodeport_chrome == 30102


async def test_ports_held_by_other_services_are_skipped(services: Services) -> None:
    await kube_of(services).instances.create_service(
        foreign_node_port_service("someone-else", NS, 30101)
    )
    await create(services, "Polite")
    assert (await services.instances.get("bot-polite")).nodeport_chrome == 30102


async def test_stop_start_restart_delete(services: Services, emulator: EmulatorServer) -> None:
    await create(services, "Cycle")
    await wait_for(
        lambda: _eq(view_status(services, "bot-cycle"), "Running"), timeout=10, what="run"
    )
    await services.instances.stop("bot-cycle")
    assert (await services.instances.get("bot-cycle")).status is InstanceStatus.STOPPED
    await wait_for(
        lambda: _eq(view_status(services, "bot-cycle"), "Stopped"), timeout=10, what="stop"
    )
    assert names(emulator, "persistentvolumeclaims"), "stop keeps the data"
    await services.instances.start("bot-cycle")
    await wait_for(
        lambda: _eq(view_status(services, "bot-cycle"), "Running"), timeout=10, what="start"
    )
    old = {p["metadata"]["name"] for p in emulator.objects("pods", NS)}
    await services.instances.restart("bot-cycle")

    def replaced() -> bool:
        now = {p["metadata"]["name"] for p in emulator.objects("pods", NS)}
        return bool(now) and not (now & old)

    await wait_for(replaced, timeout=10, what="pod replaced")
    steps = [p.step async for p in services.instances.delete("bot-cycle")]
    assert steps[-1] == "record"
    assert await services.store.instances.find("bot-cycle") is None
    assert leftovers(emulator, "bot-cycle", (*INSTANCE_OBJECTS, "pods")) == {}


async def test_delete_failure_leaves_error_row_that_can_be_retried(
    services: Services, emulator: EmulatorServer
) -> None:
    await create(services, "Sticky")
    emulator.inject_failure(
        "DELETE",
        r"/secrets/bot-sticky-keys$",
        status=403,
        reason="Forbidden",
        message='secrets "bot-sticky-keys" is forbidden: nope',
    )
    with pytest.raises(OperationFailed):
        async for _ in services.instances.delete("bot-sticky"):
            pass
    row = await services.instances.get("bot-sticky")
    assert row.status is InstanceStatus.ERROR
    assert row.status_detail
    assert "forbidden" in row.status_detail
    async for _ in services.instances.delete("bot-sticky"):
        pass
    assert await services.store.instances.find("bot-sticky") is None


async def test_edit_config_resources_storage_and_keys(
    services: Services, emulator: EmulatorServer
) -> None:
    await services.instances.set_global_key(Provider.ANTHROPIC, SecretStr(GLOBAL))
    await create(services, "Editable")
    with pytest.raises(ValidationFailed, match="line 1 column 2"):
        await services.instances.update_config("bot-editable", "{oops", restart=False)
    await services.instances.update_config("bot-editable", '{"model": "opus"}', restart=False)
    cm = next(
        c
        for c in emulator.objects("configmaps", NS)
        if c["metadata"]["name"] == "bot-editable-config"
    )
    assert cm["data"]["clawdbot.json"] == '{"model": "opus"}'
    await services.instances.update_resources("bot-editable", Resources(memory_limit="8Gi"))
    dep = emulator.objects("deployments", NS)[0]
    limits = dep["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits["memory"] == "8Gi"
    with pytest.raises(ValidationFailed, match="cannot shrink"):
        await services.instances.update_storage("bot-editable", Storage(homebrew="1Gi"))
    await services.instances.update_storage("bot-editable", Storage(homebrew="20Gi"))
    pvc = next(
        p
        for p in emulator.objects("persistentvolumeclaims", NS)
        if p["metadata"]["name"] == "bot-editable-homebrew"
    )
    assert pvc["spec"]["resources"]["requests"]["storage"] == "20Gi"
    await services.instances.set_override("bot-editable", Provider.ANTHROPIC, SecretStr(OVERRIDE))
    details = await services.instances.details("bot-editable")
    sources = {k.provider: k for k in details.keys}
    assert sources[Provider.ANTHROPIC].source == "override"
    assert sources[Provider.ANTHROPIC].masked == "sk-ant-…bbbb"
    assert sources[Provider.OPENAI].source == "none"


async def test_global_key_change_rewrites_only_inheriting_secrets(
    services: Services, emulator: EmulatorServer
) -> None:
    import base64

    await create(services, "Inherits")
    await create(services, "Own Key", api_keys={Provider.ANTHROPIC: SecretStr(OVERRIDE)})
    affected = await services.instances.set_global_key(Provider.ANTHROPIC, SecretStr(GLOBAL))
    assert affected == ["bot-inherits"]

    def secret_value(name: str) -> str:
        doc = next(s for s in emulator.objects("secrets", NS) if s["metadata"]["name"] == name)
        return base64.b64decode(doc["data"]["ANTHROPIC_API_KEY"]).decode()

    assert secret_value("bot-inherits-keys") == GLOBAL
    assert secret_value("bot-own-key-keys") == OVERRIDE
    for entry in await services.instances.activity():
        assert GLOBAL not in (entry.detail or "")
        assert OVERRIDE not in (entry.detail or "")


async def test_read_only_refuses_writes(config, emulator: EmulatorServer) -> None:  # type: ignore[no-untyped-def]
    from claworc_tui.services import open_services
    from claworc_tui.services.errors import ReadOnlyMode

    ro = await open_services(config.model_copy(update={"read_only": True}))
    try:
        assert ro.read_only_reason
        with pytest.raises(ReadOnlyMode, match="--read-only"):
            await create(ro, "Nope")
    finally:
        await ro.aclose()
    emulator.forbid("*", "*")
    rbac = await open_services(config)
    try:
        assert rbac.read_only_reason
        assert "RBAC" in rbac.read_only_reason
    finally:
        await rbac.aclose()


async def test_rollback_waits_for_requests_still_in_flight(
    services: Services, emulator: EmulatorServer
) -> None:
    # The Secret fails at once while the PVC creates are still in flight: the rollback must
    # not delete before they land, or the PVCs are left behind (seen as a rare hang in CI).
    emulator.delay("POST", r"/persistentvolumeclaims$", 0.3)
    emulator.inject_failure(
        "POST", r"/secrets$", status=500, reason="InternalError", message="boom"
    )
    with pytest.raises(OperationFailed) as info:
        await create(services, "Racy")
    assert info.value.step == "secret"
    assert "removed" in str(info.value)
    await asyncio.sleep(0.5)  # past the window in which the held creates would land
    assert not {n for n in names(emulator, "persistentvolumeclaims") if n.startswith("bot-racy")}
    assert await services.store.instances.find("bot-racy") is None


async def test_growing_a_volume_the_storage_class_cannot_expand(
    services: Services, emulator: EmulatorServer
) -> None:
    await create(services, "Fixed Size")
    emulator.config.pvc_expandable = False
    with pytest.raises(ClaworcError, match=r"expan|resize") as info:
        await services.instances.update_storage("bot-fixed-size", Storage(chrome="50Gi"))
    assert "bot-fixed-size-chrome" in str(info.value)
    assert (await services.instances.get("bot-fixed-size")).storage.chrome == "5Gi"


async def test_global_key_change_offers_no_restart_to_a_stopped_instance(
    services: Services, emulator: EmulatorServer
) -> None:
    # "Restart 3 instances?" listed a stopped one, whose restart then failed.
    await create(services, "Awake")
    await create(services, "Sleepy")
    await services.instances.stop("bot-sleepy")
    affected = await services.instances.set_global_key(Provider.ANTHROPIC, SecretStr(GLOBAL))
    assert affected == ["bot-awake"]
    for name in affected:
        await services.instances.restart(name)
