"""Instance objects through the real kubernetes_asyncio client against the emulator."""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr

from claworc_emulator import EmulatorServer
from claworc_tui.k8s import manifests
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeInvalid, KubeNotExpandable
from claworc_tui.k8s.manifests import effective_keys, expected_shape
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.instance import Provider, Resources
from tests._support.wait import wait_for
from tests.k8s.factories import GLOBAL_KEYS, make_instance, make_settings
from tests.k8s.helpers import NS, apply, pods_of, running_pod

KINDS = ("deployments", "persistentvolumeclaims", "secrets", "configmaps", "services")


def names_of(emulator: EmulatorServer, plural: str) -> set[str]:
    return {str(o["metadata"]["name"]) for o in emulator.objects(plural, NS)}


async def test_create_twice_is_idempotent(kube: KubeClient, emulator: EmulatorServer) -> None:
    instance = make_instance()
    keys = effective_keys({}, GLOBAL_KEYS)
    first = await kube.instances.apply_instance_objects(instance, make_settings(), keys)
    assert [r.created for r in first] == [True] * 8
    again = await kube.instances.apply_instance_objects(instance, make_settings(), keys)
    assert [r.created for r in again] == [False] * 8
    assert [r.uid for r in again] == [r.uid for r in first]
    assert names_of(emulator, "persistentvolumeclaims") == {
        "bot-alpha-clawdbot",
        "bot-alpha-homebrew",
        "bot-alpha-clawd",
        "bot-alpha-chrome",
    }
    assert names_of(emulator, "deployments") == {"bot-alpha"}
    assert names_of(emulator, "services") >= {"bot-alpha-vnc"}
    objects = await kube.lifecycle.get_instance_objects("bot-alpha")
    assert objects.missing == []
    assert objects.secret_keys == frozenset({"ANTHROPIC_API_KEY", "BRAVE_API_KEY"})
    assert objects.drift(expected_shape(instance, make_settings(), keys)) == []
    (secret,) = [
        s for s in emulator.objects("secrets", NS) if s["metadata"]["name"].endswith("-keys")
    ]
    assert base64.b64decode(secret["data"]["BRAVE_API_KEY"]) == b"brave-global-1111111111111111"


async def test_scale_zero_and_one(kube: KubeClient, emulator: EmulatorServer) -> None:
    await apply(kube, make_instance())
    await wait_for(lambda: running_pod(emulator, "bot-alpha") is not None, what="pod running")
    await kube.deployments.scale("bot-alpha", 0)
    await wait_for(lambda: not pods_of(emulator, "bot-alpha"), what="pod gone")
    assert (await kube.lifecycle.get_instance_objects("bot-alpha")).deployment.replicas == 0  # type: ignore[union-attr]
    await kube.deployments.scale("bot-alpha", 1)
    await wait_for(lambda: running_pod(emulator, "bot-alpha") is not None, what="pod back")
    # Our writes are named after us in managedFields (the apiserver takes the User-Agent's first
    # part), so another operator's conflict report says "claworc-tui", not "OpenAPI-Generator".
    deployment = next(
        o for o in emulator.objects("deployments", NS) if o["metadata"]["name"] == "bot-alpha"
    )
    managers = {e["manager"] for e in deployment["metadata"]["managedFields"]}
    assert "claworc-tui" in managers, managers
    assert "OpenAPI-Generator" not in managers, managers


async def test_restart_replaces_the_pod(kube: KubeClient, emulator: EmulatorServer) -> None:
    await apply(kube, make_instance())
    await wait_for(lambda: running_pod(emulator, "bot-alpha") is not None, what="pod running")
    old = running_pod(emulator, "bot-alpha")
    stamp = await kube.deployments.rollout_restart("bot-alpha")
    await wait_for(
        lambda: (
            running_pod(emulator, "bot-alpha") not in (None, old)
            and len(pods_of(emulator, "bot-alpha")) == 1
        ),
        what="a new pod",
    )
    state = (await kube.lifecycle.get_instance_objects("bot-alpha")).deployment
    assert state is not None
    assert state.restarted_at == stamp


async def test_delete_leaves_nothing_and_waits(kube: KubeClient, emulator: EmulatorServer) -> None:
    await apply(kube, make_instance())
    await apply(kube, make_instance("bot-beta", port=30102))
    await wait_for(lambda: running_pod(emulator, "bot-alpha") is not None, what="pod running")
    result = await kube.lifecycle.delete_instance_objects("bot-alpha", wait_timeout=10)
    assert len(result.deleted) == 8
    assert result.remaining == ()
    for plural in KINDS:
        assert not any(n.startswith("bot-alpha") for n in names_of(emulator, plural)), plural
    assert not pods_of(emulator, "bot-alpha")
    assert "bot-beta" in names_of(emulator, "deployments")  # the other instance is untouched
    again = await kube.lifecycle.delete_instance_objects("bot-alpha")
    assert again.deleted == ()
    assert len(again.already_gone) == 8


async def test_changes_show_as_drift_and_are_fixed(kube: KubeClient) -> None:
    instance = make_instance(config='{"a": 1}')
    keys = effective_keys({}, GLOBAL_KEYS)
    await kube.instances.apply_instance_objects(instance, make_settings(), keys)
    bigger = Resources(cpu_request="1", cpu_limit="2", memory_request="2Gi", memory_limit="8Gi")
    state = await kube.deployments.patch_deployment_resources("bot-alpha", bigger)
    assert state.resources.memory_limit == "8Gi"
    shape = expected_shape(instance, make_settings(), keys)
    drifted = {
        d.field for d in (await kube.lifecycle.get_instance_objects("bot-alpha")).drift(shape)
    }
    assert drifted == {"cpu_request", "memory_request", "memory_limit"}
    await kube.instances.update_deployment(instance, make_settings())
    changed = instance.model_copy(update={"clawdbot_config": '{"a": 2}'})
    await kube.instances.replace_configmap(changed)
    overrides = {Provider.OPENAI: SecretStr("sk-openai-override-333333333")}
    await kube.instances.replace_secret(instance, effective_keys(overrides, GLOBAL_KEYS))
    objects = await kube.lifecycle.get_instance_objects("bot-alpha")
    assert {d.field for d in objects.drift(shape)} == {"clawdbot_config", "secret_keys"}
    assert objects.config_hash == manifests.config_hash('{"a": 2}')
    assert objects.secret_keys == frozenset(
        {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "BRAVE_API_KEY"}
    )


async def test_port_conflict_is_invalid_with_the_port(kube: KubeClient) -> None:
    await apply(kube, make_instance())
    clash = make_instance("bot-beta", port=30100)
    with pytest.raises(KubeInvalid) as caught:
        await kube.instances.create_service(manifests.service(clash, namespace=NS))
    err = caught.value
    assert err.port_conflict
    # The apiserver stops at the first port it cannot allocate: one port, one cause.
    assert err.taken_ports == [30100]
    assert "provided port is already allocated" in str(err)
    assert (err.status, err.verb, err.resource) == (422, "create", "services")


async def test_resize_pvc_grows_only(kube: KubeClient, emulator: EmulatorServer) -> None:
    await apply(kube, make_instance())
    state = await kube.instances.resize_pvc("bot-alpha-clawd", "8Gi")
    assert state.requested == "8Gi"
    assert (await kube.instances.resize_pvc("bot-alpha-clawd", "8Gi")).requested == "8Gi"
    with pytest.raises(ValidationFailed, match="cannot shrink"):
        await kube.instances.resize_pvc("bot-alpha-clawd", "1Gi")
    emulator.config.pvc_expandable = False
    with pytest.raises(KubeNotExpandable, match="does not allow volume expansion"):
        await kube.instances.resize_pvc("bot-alpha-clawd", "9Gi")


async def test_replace_service_moves_the_ports(kube: KubeClient) -> None:
    await apply(kube, make_instance())
    moved = make_instance(port=30110)
    await kube.instances.replace_service(moved)
    service = (await kube.lifecycle.get_instance_objects("bot-alpha")).service
    assert service is not None
    assert (service.node_port("chrome"), service.node_port("terminal")) == (30110, 30111)
    held = (await kube.cluster.service_node_ports()).owners
    assert 30110 in held
    assert 30100 not in held  # the old pair is free again
    await kube.lifecycle.delete_instance_objects("bot-alpha")
    await kube.instances.replace_service(moved)  # missing: created
    assert (await kube.lifecycle.get_instance_objects("bot-alpha")).service is not None
