"""Whether the API server answered at start is a flag on Services, not a phrase in a warning.

``open_services`` used to decide whether to check the namespace and run the sweep by looking for
"not reachable" in its own warning texts; the answer is now ``Services.cluster_reachable``.
"""

from __future__ import annotations

from pathlib import Path

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.services import open_services
from tests.k8s.helpers import NS


def _config(emulator: EmulatorServer, tmp_path: Path) -> Settings:
    kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)
    return Settings(db=tmp_path / "data" / "claworc.db", kubeconfig=kubeconfig, namespace=NS)


async def test_a_cluster_that_answers_is_reachable(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    services = await open_services(_config(emulator, tmp_path))
    try:
        assert services.cluster_reachable is True
        assert not any("not reachable" in w for w in services.warnings), services.warnings
    finally:
        await services.aclose()


async def test_a_cluster_that_does_not_answer_skips_the_namespace_and_the_sweep(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    config = _config(emulator, tmp_path)
    await emulator.stop()
    services = await open_services(config)
    try:
        assert services.cluster_reachable is False
        assert services.swept == []
        # The user is still told, in words; the words just no longer steer anything.
        assert any("not reachable" in w for w in services.warnings), services.warnings
        calls = services.kube.transport.calls if services.kube is not None else []
        # One attempt at the permissions review, nothing after it (no namespace read, no sweep).
        assert [(c.verb, c.resource) for c in calls] == [("create", "selfsubjectrulesreviews")]
        assert calls[0].status is None
        assert calls[0].error is not None
    finally:
        await services.aclose()
