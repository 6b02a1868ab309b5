"""The CLI on the Docker runtime as a user runs it: a real process, a real engine, a SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from claworc_tui.crypto.sealing import new_key
from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.errors import DockerFault
from claworc_tui.docker.instances import DockerInstances
from tests.docker.conftest import IMAGE, NETWORK, engine_host

KEY = new_key().decode()


async def cli(home: Path, *argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``claworc-tui --runtime docker --db … ARGV``; (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "claworc_tui",
        "--runtime",
        "docker",
        "--db",
        str(home / "c.db"),
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "HOME": str(home),
            "DOCKER_HOST": engine_host(),
            "CLAWORC_FERNET_KEY": KEY,
            "CLAWORC_DOCKER_NETWORK": NETWORK,
            "CLAWORC_DOCKER_PRIVILEGED": "false",
            **(env or {}),
        },
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def _ours(engine: DockerEngine, tmp_path: Path) -> tuple[set[str], set[str]]:
    listed = await DockerInstances(engine, tmp_path).list_ours()
    return set(listed.containers), set(listed.volumes)


async def test_the_cli_runs_the_whole_lifecycle_on_docker(
    engine: DockerEngine, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    for key, value in (
        ("image", IMAGE),
        ("port_range_end", "31699"),
        ("port_range_start", "31600"),
    ):
        code, _, err = await cli(home, "settings", "set", key, value)
        assert code == 0, err
    code, out, err = await cli(
        home, "create", "Cli Bot", "--memory-request", "8Mi", "--memory-limit", "64Mi"
    )
    assert code == 0, err
    assert "http://localhost:31600/vnc.html" in out
    try:
        code, out, err = await cli(home, "ls")
        assert code == 0, err
        assert "bot-cli-bot" in out
        assert "Running" in out

        code, out, err = await cli(home, "stop", "bot-cli-bot")
        assert code == 0, err
        code, out, _ = await cli(home, "ls")
        assert "Stopped" in out
        assert "bot-cli-bot" in (await _ours(engine, tmp_path))[0]  # stop keeps it

        code, _, err = await cli(home, "start", "bot-cli-bot")
        assert code == 0, err
        code, _, err = await cli(home, "restart", "bot-cli-bot")
        assert code == 0, err
        code, out, err = await cli(home, "logs", "bot-cli-bot", "--tail", "50")
        assert code == 0, err
        assert "openclaw test image starting" in out

        # Drift: the container removed by hand, a stray labelled container with no owner
        # label (made before owner ids: legacy, as on Kubernetes never deleted from here).
        await engine.call("containers/claworc-bot-cli-bot", "DELETE", params={"force": "1"})
        ghost = f"stray-ghost-{os.getpid()}"
        stray = {"Image": IMAGE, "Labels": {"managed-by": "claworc", "app": ghost}}
        await engine.call("containers/create", "POST", params={"name": ghost}, body=stray)
        code, out, _ = await cli(home, "repair", "--dry-run")
        assert code == 3
        assert "Container/claworc-bot-cli-bot" in out
        assert f"Container/{ghost}" in out
        code, out, err = await cli(home, "repair", "--delete-orphans")
        assert code == 0, err
        code, out, _ = await cli(home, "repair", "--dry-run")
        # What this database made is repaired; the legacy stray is listed, never touched.
        assert code == 0
        assert "bot-cli-bot" not in out
        assert f"owned elsewhere: Container/{ghost}" in out
        assert (await engine.call(f"containers/{ghost}/json"))["Name"] == f"/{ghost}"
        containers, _ = await _ours(engine, tmp_path)
        assert "bot-cli-bot" in containers
        code, _, err = await cli(home, "rm", "bot-cli-bot")  # stdin not a terminal: refused
        assert code == 2
        assert "The four volumes hold the instance's data" in err
        assert "PVC" not in err
    finally:
        with contextlib.suppress(DockerFault):
            await engine.call(f"containers/stray-ghost-{os.getpid()}", "DELETE")
        code, out, err = await cli(home, "rm", "bot-cli-bot", "--yes")
    assert code == 0, err
    containers, volumes = await _ours(engine, tmp_path)
    assert "bot-cli-bot" not in containers
    assert "bot-cli-bot" not in volumes
    assert not (home / "docker" / "bot-cli-bot").exists()


async def test_an_image_that_is_not_there_is_named_and_nothing_is_made(
    engine: DockerEngine, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    await cli(home, "settings", "set", "image", "claworc-test/absent:1")
    code, _, err = await cli(home, "create", "Nope")
    assert code == 1
    assert "docker pull claworc-test/absent:1" in err
    code, out, _ = await cli(home, "ls")
    assert "bot-nope" not in out
    containers, volumes = await _ours(engine, tmp_path)
    assert "bot-nope" not in containers
    assert "bot-nope" not in volumes


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("unix:///nonexistent/docker.sock", "socket does not exist"),
        ("unix:///dev/null", "is not a socket"),
    ],
)
async def test_an_engine_that_cannot_be_used_is_named(
    tmp_path: Path, host: str, words: str
) -> None:
    code, _, err = await cli(tmp_path, "ls", env={"DOCKER_HOST": host})
    assert code == 1
    assert words in err
    assert "Traceback" not in err


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv"
)
async def test_a_socket_we_may_not_open_says_how_to_get_access(
    engine: DockerEngine, request: pytest.FixtureRequest
) -> None:
    # Outside tmp_path: pytest's folders are root's alone (0700), not for the user ``nobody``.
    home = Path(tempfile.mkdtemp(prefix="claworc-nobody-"))
    home.chmod(0o777)
    request.addfinalizer(lambda: shutil.rmtree(home, ignore_errors=True))
    xdg = {f"XDG_{kind}_HOME": str(home / kind.lower()) for kind in ("DATA", "CONFIG", "STATE")}
    argv = ["--runtime", "docker", "--db", str(home / "c.db"), "ls"]
    proc = await asyncio.create_subprocess_exec(
        "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
        sys.executable, "-m", "claworc_tui", *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **xdg, "HOME": str(home), "DOCKER_HOST": engine_host()},
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    assert "permission denied on" in err.decode()
    assert "docker group" in err.decode()
