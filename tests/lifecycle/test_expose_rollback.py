"""A failed switch to private puts the NodePorts back without taking a pair another Service
holds: the record's rollback skips the cluster's ports (but not the instance's own)."""

from __future__ import annotations

import asyncio

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.k8s.errors import KubeError
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import InstanceSpec
from claworc_tui.services import Services
from tests._support.instances import make
from tests._support.kube import foreign_node_port_service, kube_of, reach_of
from tests._support.wait import wait_for
from tests.k8s.helpers import NS


async def test_a_failed_switch_to_private_does_not_put_back_a_pair_the_cluster_holds(
    services: Services, emulator: EmulatorServer
) -> None:
    await make(services, "Bot Alpha")
    assert (await services.instances.get("bot-alpha")).node_ports == (30100, 30101)
    someone_else = foreign_node_port_service("someone-else", NS, 30102, 30103)
    await kube_of(services).instances.create_service(someone_else)
    emulator.delay("PUT", r"/services/bot-alpha", 2.0)
    emulator.inject_failure(
        "PUT", r"/services/bot-alpha", status=422, reason="Invalid", message="refused by a test"
    )
    switch = asyncio.ensure_future(reach_of(services).set_exposure("bot-alpha", Exposure.PRIVATE))

    async def released() -> bool:
        return (await services.store.instances.get("bot-alpha")).node_ports is None

    await wait_for(released, what="the pair released while the Service PUT is held")
    # Meanwhile another record takes the released pair.
    repo = services.store.instances
    beta = await repo.insert(
        "bot-beta", InstanceSpec(display_name="Bot Beta"), port_range=(30100, 30199)
    )
    assert beta.node_ports == (30100, 30101)
    with pytest.raises(KubeError, match="refused by a test"):
        await switch
    alpha = await repo.get("bot-alpha")
    assert alpha.exposure is Exposure.NODEPORT
    assert alpha.node_ports == (30104, 30105), "not 30102: Service someone-else holds it"
