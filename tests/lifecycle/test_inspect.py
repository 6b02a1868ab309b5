"""The YAML view: every object as the emulator has it, valid YAML, and no secret value in it."""

from __future__ import annotations

import base64

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from claworc_emulator import EmulatorServer
from claworc_tui.models.errors import InstanceNotFound
from claworc_tui.models.instance import InstanceSpec, Provider
from claworc_tui.services import Services
from claworc_tui.services.inspect import as_document, instance_yaml, to_yaml
from tests._support.instances import make
from tests._support.kube import kube_of
from tests._support.wait import wait_for
from tests.k8s.helpers import running_pod

KEY = "sk-ant-api03.YAMLVIEWFAKE.YAMLVIEWFAKE-9999-zzzz"


async def test_yaml_shows_every_object_as_the_server_has_it_and_masks_the_secret(
    services: Services, emulator: EmulatorServer
) -> None:
    spec = InstanceSpec(
        display_name="Bot Alpha",
        api_keys={Provider.ANTHROPIC: SecretStr(KEY)},
        clawdbot_config='{\n  "model": "claude",\n  "tabs": 3\n}\n',
    )
    async for _ in services.instances.create(spec):
        pass
    await wait_for(lambda: running_pod(emulator, "bot-alpha") is not None, timeout=10, what="pod")
    objects = await instance_yaml(services.store, kube_of(services), "bot-alpha")
    kinds = [(o.kind, o.name) for o in objects]
    assert kinds[0] == ("Deployment", "bot-alpha")
    assert kinds[1][0] == "Pod"
    assert ("Secret", "bot-alpha-keys") in kinds
    assert sum(1 for k, _ in kinds if k == "PersistentVolumeClaim") == 4
    text = as_document(objects)
    assert KEY not in text
    assert base64.b64encode(KEY.encode()).decode() not in text
    assert "ANTHROPIC_API_KEY: '<masked: " in text or 'ANTHROPIC_API_KEY: "<masked: ' in text
    assert "managedFields" not in text
    docs = [d for d in yaml.safe_load_all(text) if d]
    by_name = {d["metadata"]["name"]: d for d in docs}
    server_cm = next(
        o
        for o in emulator.objects("configmaps", "claworc")
        if o["metadata"]["name"] == "bot-alpha-config"
    )
    assert by_name["bot-alpha-config"]["data"] == server_cm["data"]
    assert "clawdbot.json: |" in text  # multi-line values as block literals, like kubectl


async def test_yaml_of_an_unknown_instance_says_so(services: Services) -> None:
    with pytest.raises(InstanceNotFound):
        await instance_yaml(services.store, kube_of(services), "bot-nope")


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.mark.parametrize(
    "value",
    [
        "0x1F",
        "0o17",
        "0b101",
        ".inf",
        ".NaN",
        "yes",
        "Off",
        "1Gi",
        "500m",
        "10.0.0.1",
        "a: b",
        "-x",
    ],
)
def test_to_yaml_keeps_strings_that_look_like_other_things(value: str) -> None:
    assert yaml.safe_load("\n".join(to_yaml({"v": value}))) == {"v": value}


@given(st.dictionaries(st.text(min_size=1, max_size=10), _VALUES, max_size=5))
def test_to_yaml_reads_back_as_the_same_value(doc: dict[str, object]) -> None:
    text = "\n".join(to_yaml(doc)) + "\n"
    assert yaml.safe_load(text) == (doc or {})
    assert "\x1b" not in text


def test_owner_of_takes_the_longest_instance_name() -> None:
    from claworc_tui.services.inspect import owner_of

    names = ["bot-a", "bot-a-b"]
    assert owner_of("bot-a-b-7d9f8c6b5d-x2x4z", names) == "bot-a-b"
    assert owner_of("bot-a-7d9f8c6b5d-x2x4z", names) == "bot-a"
    assert owner_of("bot-a-vnc", names) == "bot-a"
    assert owner_of("bot-a-b-keys", names) == "bot-a-b"
    assert owner_of("other-7d9f8c6b5d", names) is None


async def test_events_are_newest_first_and_scoped_to_the_instance(
    services: Services, emulator: EmulatorServer
) -> None:
    from claworc_tui.services.inspect import events

    for display in ("Bot A", "Bot A B"):
        await make(services, display)
    await wait_for(lambda: running_pod(emulator, "bot-a-b") is not None, timeout=10, what="pod")
    everything = await events(services.store, kube_of(services))
    times = [e.last_time for e in everything if e.last_time]
    assert times == sorted(times, reverse=True)
    mine = await events(services.store, kube_of(services), "bot-a")
    assert mine
    assert all(
        e.name and e.name.startswith("bot-a") and not e.name.startswith("bot-a-b") for e in mine
    )
    with pytest.raises(InstanceNotFound):
        await events(services.store, kube_of(services), "bot-nope")
