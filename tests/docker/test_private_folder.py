"""The folder holding an instance's keys trusts nothing it finds: links, others' folders, modes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.models.instance import Provider
from claworc_tui.paths import UnsafeFolder
from tests.docker.conftest import IMAGE, NETWORK, made, make_instance

KEY = "sk-ant-api03.FAKE.PRIVATEFOLDER.not.real-0002"


def _ops(engine: DockerEngine, root: Path) -> DockerInstances:
    return DockerInstances(engine, root, owner="test-owner", network=NETWORK, privileged=False)


async def test_a_root_folder_open_to_others_is_refused_and_nothing_is_made(
    engine: DockerEngine, tmp_path: Path
) -> None:
    root = tmp_path / "docker"
    root.mkdir(mode=0o777)
    root.chmod(0o777)  # as /tmp/docker would be if someone else made it first
    ops = _ops(engine, root)
    instance = make_instance()

    with pytest.raises(UnsafeFolder, match="mode 777, not 700"):
        await ops.create(
            instance, image=IMAGE, keys={Provider.ANTHROPIC: SecretStr(KEY)}, config_text="{}"
        )

    assert await ops.inspect(instance.name) is None
    assert instance.name not in (await ops.list_ours()).volumes
    assert not any(KEY in p.read_text() for p in root.rglob("*") if p.is_file())


async def test_a_planted_symlink_never_receives_what_is_written(
    backend: DockerInstances, tmp_path: Path
) -> None:
    instance = await made(backend)
    folder = backend.folder(instance.name)
    trap = tmp_path / "trap"
    trap.write_text("")
    os.symlink(trap, folder / ".clawdbot.json.tmp")  # where the next write opens its temp file

    backend.write_config(instance.name, '{"secret": "' + KEY + '"}')
    backend.write_keys(instance.name, {Provider.ANTHROPIC: SecretStr(KEY)})

    assert trap.read_text() == ""
    assert KEY in (folder / "clawdbot.json").read_text()
    assert not (folder / "clawdbot.json").is_symlink()
    assert (folder / "keys" / "ANTHROPIC_API_KEY").read_text() == KEY


async def test_an_instance_folder_that_is_a_symlink_is_refused_by_delete(
    backend: DockerInstances, tmp_path: Path
) -> None:
    instance = make_instance()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious").write_text("keep me")
    backend.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.symlink(elsewhere, backend.folder(instance.name))

    with pytest.raises(UnsafeFolder, match="is a symlink"):
        await backend.delete(instance.name)

    assert (elsewhere / "precious").read_text() == "keep me"
    backend.folder(instance.name).unlink()
