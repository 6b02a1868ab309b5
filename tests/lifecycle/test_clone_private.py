"""A clone keeps its source's exposure: a private instance never gives a clone on NodePorts."""

from __future__ import annotations

import json

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.models.exposure import Exposure
from claworc_tui.services import Services
from tests._support.instances import make
from tests._support.kube import reach_of
from tests.lifecycle.test_cli import cli
from tests.lifecycle.test_reach import vnc_service


async def test_a_clone_of_a_private_instance_is_private(
    services: Services, emulator: EmulatorServer
) -> None:
    await make(services, "Bot Alpha")
    await reach_of(services).set_exposure("bot-alpha", Exposure.PRIVATE)
    svc = services.instances
    assert "private: no NodePorts" in await svc.clone_note("bot-alpha")
    spec = await svc.clone_spec("bot-alpha", "Bot Beta")
    assert spec.exposure is Exposure.PRIVATE
    async for _ in svc.clone("bot-alpha", spec):
        pass
    clone = await svc.get("bot-beta")
    assert (clone.exposure, clone.node_ports) == (Exposure.PRIVATE, None)
    service = vnc_service(emulator, "bot-beta")["spec"]
    assert isinstance(service, dict)
    assert service["type"] == "ClusterIP"
    assert all("nodePort" not in port for port in service["ports"])
    entry = next(e for e in await svc.activity() if e.action == "clone")
    assert entry.detail == (
        "from bot-alpha; private: no NodePorts, empty volumes (the data is not copied)"
    )
    # A spec rebuilt without the exposure (a form) still keeps the source's.
    rebuilt = spec.model_copy(update={"display_name": "Bot Gamma", "exposure": None})
    async for _ in svc.clone("bot-alpha", rebuilt):
        pass
    assert (await svc.get("bot-gamma")).node_ports is None


async def test_a_nodeport_clone_of_a_nodeport_instance_under_private_defaults(
    services: Services, emulator: EmulatorServer
) -> None:
    """The other way round: the settings say private, the source is on NodePorts."""
    await make(services, "Bot Alpha")
    await services.instances.update_settings({"default_exposure": "private"})
    svc = services.instances
    assert "the exposure (NodePorts)" in await svc.clone_note("bot-alpha")
    async for _ in svc.clone("bot-alpha", await svc.clone_spec("bot-alpha", "Bot Beta")):
        pass
    clone = await svc.get("bot-beta")
    assert (clone.exposure, clone.node_ports) == (Exposure.NODEPORT, (30102, 30103))


async def test_cli_clone_of_a_private_instance_prints_no_url(
    config: Settings, emulator: EmulatorServer
) -> None:
    assert (await cli(config, "create", "Bot Alpha"))[0] == 0
    assert (await cli(config, "expose", "bot-alpha", "private"))[0] == 0
    code, out, err = await cli(config, "clone", "bot-alpha", "Bot Beta")
    assert code == 0, err
    assert out == "", "nothing pretending to be a URL on stdout"
    assert "bot-beta is private; reach it with: claworc-tui " in err
    assert "forward bot-beta" in err
    assert "private: no NodePorts" in err
    rows = {r["name"]: r for r in json.loads((await cli(config, "ls", "--json"))[1])}
    assert rows["bot-beta"]["exposure"] == "private"
    assert rows["bot-beta"]["nodeport_chrome"] is None
