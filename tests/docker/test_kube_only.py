"""Kubernetes-only commands are refused on Docker: exit 2, a specific message, nothing written."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from claworc_tui.docker.engine import DockerEngine
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.instance import InstanceStatus
from claworc_tui.services import Services
from tests.docker.conftest import created, docker_of
from tests.docker.test_cli_docker import cli


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("redeploy", "bot-x"), "redeploy works on the Kubernetes runtime only"),
        (("adopt", "bot-x"), "adopt works on the Kubernetes runtime only"),
        (("forget", "bot-x"), "forget works on the Kubernetes runtime only"),
        (("shell", "bot-x"), "docker exec -it"),
        (("forward", "bot-x"), "already published on this host). `claworc-tui "),
        (("forward", "bot-x"), "url bot-x` prints its address."),
        (("expose", "bot-x", "private"), "CLAWORC_DOCKER_BIND_ADDRESS"),
    ],
)
async def test_the_cli_refuses_kubernetes_only_commands_on_docker(
    engine: DockerEngine, tmp_path: Path, argv: tuple[str, ...], says: str
) -> None:
    code, _, err = await cli(tmp_path, *argv)
    assert code == 2, err
    assert says in err
    assert "internal error" not in err
    assert not (tmp_path / "c.db").exists()  # refused before the database was opened


async def test_the_service_refuses_them_before_writing_the_record(
    docker_services: Services,
) -> None:
    svc = docker_of(docker_services)
    name = await created(docker_services, f"Kube Only {uuid.uuid4().hex[:6]}")

    with pytest.raises(ValidationFailed, match="Kubernetes runtime only"):
        async for _ in svc.redeploy([name], "claworc-test/other:1"):
            pass
    with pytest.raises(ValidationFailed, match="Kubernetes runtime only"):
        await svc.adopt([name])
    with pytest.raises(ValidationFailed, match="Kubernetes runtime only"):
        await svc.forget(name)

    instance = await svc.get(name)
    assert instance.status is InstanceStatus.RUNNING
    assert instance.image is None
