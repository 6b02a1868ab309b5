"""``--demo`` is the emulated cluster: never the real Docker engine, whatever the runtime says."""

from __future__ import annotations

from pathlib import Path

import pytest

from claworc_tui.config import Settings
from claworc_tui.demo import DemoCluster
from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.instances import DockerInstances
from tests.docker.conftest import engine_host


async def test_the_demo_with_runtime_docker_seeds_the_emulator_not_the_engine(
    engine: DockerEngine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", engine_host())
    monkeypatch.setenv("CLAWORC_RUNTIME", "docker")
    before = await DockerInstances(engine, engine_host()).list_ours()  # type: ignore[arg-type]
    demo = DemoCluster(pod_start_delay=0)
    try:
        settings = demo.start(Settings())
        assert settings.runtime == "kubernetes"
        assert settings.db.is_relative_to(demo.folder)
    finally:
        demo.stop()
    after = await DockerInstances(engine, engine_host()).list_ours()  # type: ignore[arg-type]
    assert set(after.containers) == set(before.containers)
    assert set(after.volumes) == set(before.volumes)
