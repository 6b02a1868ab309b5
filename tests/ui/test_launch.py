"""Launch (issue 17): the list is in the first frame, drawn from the records before the cluster
is connected to, and the first frame's imports are few (neither aiohttp nor the client)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from claworc_tui.app import ClaworcApp
from claworc_tui.crypto.sealing import new_key
from claworc_tui.models.errors import WrongEncryptionKey
from claworc_tui.models.instance import InstanceSpec, Provider
from claworc_tui.services import open_services
from claworc_tui.services.launch import open_records
from tests._support.wait import wait_for
from tests.ui.harness import run_start_script, running_emulator, seeded, settings_for
from tests.ui.test_idle_bytes import FrameRecorder


async def test_the_first_frame_shows_the_instances_read_at_start(tmp_path: Path) -> None:
    async with seeded(tmp_path, "Alpha", "Beta") as (_, settings):
        launch = await open_records(settings)
        assert [v.name for v in launch.views] == ["bot-alpha", "bot-beta"]
        app = ClaworcApp(launch, driver_class=FrameRecorder)
        frames: list[str] = []
        try:
            async with app.run_test(size=(120, 30), headless=False) as pilot:
                driver = app._driver
                assert isinstance(driver, FrameRecorder)
                await pilot.pause()
                frames = list(driver.written)
        finally:
            await app.aclose()
        first = next(frame for frame in frames if "NAME" in frame)
        assert "bot-alpha" in first
        assert "bot-beta" in first


def python_prints(code: str) -> str:
    """What a fresh interpreter running ``code`` prints (it must exit 0)."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout


def test_starting_the_app_imports_no_kubernetes_model_nor_the_emulator() -> None:
    """What the app imports, with what it imports to connect (after its first frame)."""
    code = (
        "import json, sys\n"
        "import claworc_tui.cli.main, claworc_tui.app, claworc_tui.services.opening\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = python_prints(code)
    modules = json.loads(out)
    assert not [m for m in modules if m.startswith("kubernetes_asyncio.client.models.")]
    assert not [m for m in modules if m.startswith("kubernetes_asyncio.client.api.apps_api")]
    assert not [m for m in modules if m.startswith("claworc_emulator")]
    assert not [m for m in modules if m.startswith("tree_sitter_")]  # no grammar
    assert "kubernetes_asyncio.client.api.core_v1_api" in modules  # what we do use
    assert "urllib3.poolmanager" not in modules  # urllib3's package __init__ is deferred too


def test_reading_the_command_line_loads_no_cluster_client() -> None:
    """The full-screen app reads its command line with the parser of every subcommand, and
    draws its first frame before it connects: that parser must not load the Kubernetes client,
    aiohttp or the reach services (~110 ms of the launch, issue 17), nor pydantic-settings."""
    code = (
        "import json, sys\n"
        "from claworc_tui.cli.args import build_parser, settings_from_args\n"
        "import claworc_tui.app\n"
        "args = build_parser().parse_args(['--namespace', 'claworc'])\n"
        "settings_from_args(args)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    modules = json.loads(python_prints(code))
    loaded = {m.split(".")[0] for m in modules} | set(modules)
    for heavy in (
        "aiohttp",
        "kubernetes_asyncio",
        "claworc_tui.k8s.client",
        "claworc_tui.services.forwards",
        "pydantic_settings",
    ):
        assert heavy not in loaded, heavy
    assert "claworc_tui.cli.reach" in modules  # every subcommand's parser was built


def test_the_full_kubernetes_client_is_still_there_for_other_code() -> None:
    code = (
        "import claworc_tui.app\n"
        "from kubernetes_asyncio import client, watch\n"
        "import kubernetes_asyncio.client.models as models\n"
        "assert client.V1Pod is models.V1Pod\n"
        "assert client.BatchV1Api.__name__ == 'BatchV1Api'\n"
        "assert client.ApiClient.__module__ == 'kubernetes_asyncio.client.api_client'\n"
        "import kubernetes_asyncio\n"
        "assert kubernetes_asyncio.__version__\n"
        "import urllib3\n"
        "from urllib3 import PoolManager\n"
        "assert urllib3.PoolManager is PoolManager and urllib3.__version__\n"
        "conf = client.Configuration(username='ann', password='pw')\n"
        "assert conf.get_basic_auth_token() == 'Basic YW5uOnB3'\n"
        "print(watch.Watch.__name__)\n"
    )
    out = python_prints(code)
    assert out.strip() == "Watch"


def test_the_collector_is_on_again_after_a_failed_command() -> None:
    code = (
        "import gc\n"
        "from claworc_tui.__main__ import main\n"
        "code = main(['--kubeconfig', '/nonexistent/kubeconfig', 'ls'])\n"
        "print(code, gc.isenabled())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["1", "True"]  # failed, and collecting again


async def test_the_app_turns_the_collector_on_once_started(tmp_path: Path) -> None:
    async with running_emulator() as emulator:
        launch = await open_records(settings_for(tmp_path, emulator))
        gc.disable()  # as claworc_tui.__main__ does while starting
        app = ClaworcApp(launch)
        try:
            async with app.run_test(size=(120, 30)) as pilot:
                await wait_for(gc.isenabled, pilot=pilot, what="the collector on")
                assert app.ctx.connected  # on again once connected, with the client imported
                assert gc.get_freeze_count() > 0  # what start-up made is frozen
        finally:
            gc.enable()
            await app.aclose()


_OPEN_AND_LIST = """
import asyncio, json, sys
from pathlib import Path
from claworc_tui.config import Settings
from claworc_tui.services.launch import connect, open_records

async def main() -> None:
    args = json.loads(sys.argv[1])
    settings = Settings(
        db=Path(args["db"]), kubeconfig=args["kubeconfig"], namespace=args["namespace"],
        config_dir=Path(args["config_dir"]), state_dir=Path(args["state_dir"]),
    )
    launch = await open_records(settings)
    services = await connect(launch)
    await services.aclose()
    views = launch.views
    print(json.dumps({"views": sorted(v.name for v in views), "modules": sorted(sys.modules)}))

asyncio.run(main())
"""


async def test_a_start_checks_the_key_without_loading_the_cipher(tmp_path: Path) -> None:
    """The key check of a start verifies the check token's HMAC; ``cryptography`` (its Rust
    module: ~8 MB of RSS) waits for the first key sealed or unsealed. Docker's backend is not
    imported on a Kubernetes start either."""
    async with running_emulator() as emulator:
        settings = settings_for(tmp_path, emulator)
        services = await open_services(settings)  # the first start makes the key and the check
        try:
            async for _ in services.instances.create(
                InstanceSpec(
                    display_name="Keyed",
                    api_keys={Provider.ANTHROPIC: SecretStr("sk-ant-test-0123456789")},
                )
            ):
                pass
        finally:
            await services.aclose()
        result = await run_start_script(_OPEN_AND_LIST, settings, tmp_path)
        assert result["views"] == ["bot-keyed"]
        modules = result["modules"]
        assert not [m for m in modules if m == "cryptography" or m.startswith("cryptography.")]
        assert not [m for m in modules if m.startswith(("aiodocker", "claworc_tui.docker"))]
        assert "claworc_tui.crypto.sealing" in modules  # the check did run

        # A wrong key is still refused at start, by the same check.
        settings.key_file.write_bytes(new_key())
        with pytest.raises(WrongEncryptionKey):
            await open_records(settings)
