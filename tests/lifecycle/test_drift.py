"""Drift between the records and the cluster is found, and repair makes them agree."""

from __future__ import annotations

from claworc_emulator import EmulatorServer
from claworc_tui.k8s import manifests
from claworc_tui.models.instance import Resources
from claworc_tui.services import Services
from claworc_tui.services.views import DriftKind
from tests._support.instances import make
from tests._support.kube import foreign_node_port_service, kube_of
from tests.k8s.helpers import NS


async def test_drift_found_and_repaired(services: Services, emulator: EmulatorServer) -> None:
    await make(services, "Drifter")
    await make(services, "Orphan")
    kube = kube_of(services)
    # Someone scales by hand and edits resources ...
    await kube.deployments.scale("bot-drifter", 0)
    await kube.deployments.patch_deployment_resources("bot-drifter", Resources(cpu_limit="4"))
    drifter = await services.instances.get("bot-drifter")
    await kube.lifecycle.delete_instance_objects("bot-orphan", wait=True)
    # ... the orphan's row goes away behind the cluster's back, its objects re-appear ...
    async with services.store.db.transaction() as conn:
        await conn.execute("DELETE FROM instances WHERE name = 'bot-orphan'")
    orphan = drifter.model_copy(update={"name": "bot-orphan"})
    await kube.instances.create_secret(manifests.secret(orphan, {}, namespace=NS))
    # ... and a foreign Service grabs a port of the range.
    await kube.instances.create_service(foreign_node_port_service("intruder", NS, 30150))
    report = await services.instances.drift()
    kinds = {(i.kind, i.instance, i.object) for i in report.items}
    assert (DriftKind.DIFFERS, "bot-drifter", "replicas") in kinds
    assert (DriftKind.DIFFERS, "bot-drifter", "cpu_limit") in kinds
    assert (DriftKind.ORPHAN, "bot-orphan", "Secret/bot-orphan-keys") in kinds
    conflicts = report.of_kind(DriftKind.PORT_CONFLICT)
    assert [c.object for c in conflicts] == ["nodePort 30150"]
    assert conflicts[0].repair == "none needed"
    await services.instances.repair(report.of_kind(DriftKind.DIFFERS, DriftKind.MISSING))
    after = await services.instances.drift()
    assert not after.of_kind(DriftKind.DIFFERS, DriftKind.MISSING), after.items
    assert after.of_kind(DriftKind.ORPHAN), "orphans are deleted only when asked"
    await services.instances.repair(after.of_kind(DriftKind.ORPHAN))
    final = await services.instances.drift()
    assert not final.of_kind(DriftKind.ORPHAN)
    dep = next(
        d for d in emulator.objects("deployments", NS) if d["metadata"]["name"] == "bot-drifter"
    )
    assert dep["spec"]["replicas"] == 1


async def test_missing_objects_are_recreated(services: Services, emulator: EmulatorServer) -> None:
    await make(services, "Holey")
    await kube_of(services).lifecycle.delete_instance_objects("bot-holey", wait=True)
    report = await services.instances.drift()
    missing = {i.object for i in report.of_kind(DriftKind.MISSING)}
    assert {"deployment", "service", "secret", "configmap", "pvc/chrome"} <= missing
    await services.instances.repair(report.items)
    assert (await services.instances.drift()).clean


async def test_a_pvc_stuck_terminating_is_drift(
    services: Services, emulator: EmulatorServer
) -> None:
    # The detail pane showed "(terminating)"; drift said nothing.
    from claworc_emulator.resources import BY_PLURAL

    await make(services, "Holder")
    # Deleted by hand while the pod mounts it: pvc-protection keeps it Terminating.
    emulator.api.delete(BY_PLURAL["persistentvolumeclaims"], NS, "bot-holder-chrome", {})
    pvc = next(
        p
        for p in emulator.objects("persistentvolumeclaims", NS)
        if p["metadata"]["name"] == "bot-holder-chrome"
    )
    assert pvc["metadata"].get("deletionTimestamp"), "the emulator kept it Terminating"
    report = await services.instances.drift()
    stuck = [i for i in report.items if i.object == "pvc/chrome"]
    assert len(stuck) == 1, report.items
    assert stuck[0].instance == "bot-holder"
    assert "stuck Terminating" in stuck[0].detail
