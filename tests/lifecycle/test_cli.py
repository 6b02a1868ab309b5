"""The scripting CLI, run as a real subprocess against the emulator and a real SQLite file."""

from __future__ import annotations

import json

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.crypto.sealing import new_key
from tests.faults.cli_proc import finished, spawn

FAKE = "sk-ant-api03.CLIFAKE.CLIFAKE.CLIFAKE-2222-cccc"


async def cli(config: Settings, *args: str, stdin: str = "") -> tuple[int, str, str]:
    return await finished(await spawn(config, KEY, *args, stdin=True), args, stdin=stdin)


KEY = new_key().decode()


async def test_create_ls_url_stop_start_rm(config: Settings, emulator: EmulatorServer) -> None:
    code, out, err = await cli(config, "create", "Bot Alpha", "--cpu-limit", "3")
    assert code == 0, err
    assert out.strip() == "http://203.0.113.10:30100/vnc.html?autoconnect=true"
    assert "deployment: ok" in err
    code, out, _ = await cli(config, "ls", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["name"] for r in rows] == ["bot-alpha"]
    assert rows[0]["cpu_limit"] == "3"
    assert rows[0]["nodeport_terminal"] == 30101
    code, out, _ = await cli(config, "url", "bot-alpha", "--terminal")
    assert (code, out.strip()) == (0, "http://203.0.113.10:30101/vnc.html?autoconnect=true")
    assert (await cli(config, "stop", "bot-alpha"))[0] == 0
    assert (await cli(config, "start", "bot-alpha"))[0] == 0
    code, _, err = await cli(config, "rm", "bot-alpha")
    assert code == 2
    assert "refusing without --yes" in err
    code, out, err = await cli(config, "rm", "bot-alpha", "--yes")
    assert code == 0, err
    assert json.loads((await cli(config, "ls", "--json"))[1]) == []


async def test_bad_input_exits_2_and_changes_nothing(
    config: Settings, emulator: EmulatorServer
) -> None:
    for args, message in [
        (("create", "###"), "no letters or digits"),
        (
            ("create", "ok", "--cpu-limit", "2 cores"),
            'cpu_limit "2 cores" is not a Kubernetes quantity',
        ),
        (
            ("create", "ok", "--memory-request", "8Gi", "--memory-limit", "4Gi"),
            "more than memory_limit",
        ),
        (("start", "bot-nobody"), "no instance named bot-nobody"),
        (("settings", "set", "port_range_start", "30101"), "must be even"),
        (("settings", "set", "anthropic", FAKE), "never from the command line"),
    ]:
        code, _, err = await cli(config, *args)
        assert code == 2, (args, err)
        assert message in err, (args, err)
        assert FAKE not in err
    assert json.loads((await cli(config, "ls", "--json"))[1]) == []
    assert not emulator.objects("deployments", config.namespace)


async def test_settings_keys_from_stdin_are_masked(
    config: Settings, emulator: EmulatorServer
) -> None:
    code, out, err = await cli(config, "settings", "set", "anthropic", stdin=FAKE + "\n")
    assert code == 0, err
    assert FAKE not in out + err
    code, out, _ = await cli(config, "settings", "get", "anthropic_api_key")
    assert out.strip() == "sk-ant-…cccc"
    code, out, _ = await cli(config, "settings", "get")
    assert "default_cpu_limit = 2000m" in out
    assert FAKE not in out


async def test_failed_operation_exits_1(config: Settings, emulator: EmulatorServer) -> None:
    emulator.inject_failure(
        "POST", r"/deployments$", status=500, reason="InternalError", message="boom"
    )
    code, _, err = await cli(config, "create", "Doomed")
    assert code == 1
    assert "failed at step 'deployment'" in err
    assert json.loads((await cli(config, "ls", "--json"))[1]) == []


async def test_repair_dry_run_lists_missing_objects(
    config: Settings, emulator: EmulatorServer
) -> None:
    assert (await cli(config, "create", "Drifty"))[0] == 0
    from claworc_tui.k8s.client import KubeClient

    kube = KubeClient(kubeconfig=config.kubeconfig, namespace=config.namespace)
    await kube.start()
    try:
        await kube.deployments.scale("bot-drifty", 0)
    finally:
        await kube.aclose()
    code, out, err = await cli(config, "repair", "--dry-run")
    assert code == 3, "drift found: an exit code monitoring can alert on (as diff(1) does)"
    assert "1 difference (1 instance checked):" in err
    assert out.splitlines()[0].split() == ["KIND", "INSTANCE", "OBJECT", "DETAIL", "->", "REPAIR"]
    assert "replicas" in out
    assert "cluster has 0, record says 1" in out
    code, out, err = await cli(config, "repair")
    assert code == 0, out + err
    code, out, _ = await cli(config, "repair", "--dry-run")
    assert code == 0
    assert "no drift: 1 instance matches the cluster" in out


async def test_settings_names_as_set_takes_them(config: Settings, emulator: EmulatorServer) -> None:
    # `settings set anthropic` works, so `settings get anthropic` must too.
    code, _, err = await cli(config, "settings", "set", "anthropic", stdin=FAKE + "\n")
    assert code == 0, err
    code, out, err = await cli(config, "settings", "get", "anthropic")
    assert (code, out.strip()) == (0, "sk-ant-…cccc"), err
    # An empty value is refused (issue 11); --clear goes back to the default and says which
    # value is then in effect, never "image = ".
    assert (await cli(config, "settings", "set", "image", "example.com/bot:1"))[0] == 0
    code, out, err = await cli(config, "settings", "set", "image", "")
    assert code == 2
    assert "--clear" in err
    code, out, err = await cli(config, "settings", "set", "image", "--clear")
    assert code == 0, err
    default = "glukw/openclaw-vnc-chrome:latest"
    assert out.strip() == f"image cleared; the default is in effect: {default}"
    code, out, _ = await cli(config, "settings", "get", "image")
    assert out.strip() == "glukw/openclaw-vnc-chrome:latest"


async def test_demo_is_for_the_tui(config: Settings, emulator: EmulatorServer) -> None:
    code, _, err = await cli(config, "--demo", "ls")
    assert code == 2
    assert "--demo is for the full-screen app" in err
    assert "kubeconfig" not in err
