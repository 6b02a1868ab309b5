"""Adopt: records rebuilt from the cluster after the database file is lost, and bad input.

Real parts: the CLI in a subprocess, SQLite files, the emulator over HTTP.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.k8s.client import KubeClient
from tests._support.kube import delete_by_hand
from tests.lifecycle.test_cli_safety import ok, run_cli, where
from tests.lifecycle.test_orphans import plant

ANTHROPIC = "sk-ant-api03.FAKE.GLOBALKEY.not.real-1111"
OPENAI_OVERRIDE = "sk-FAKE-OPENAI-OVERRIDE-not-real-2222"
BRAVE_GLOBAL = "FAKE-BRAVE-GLOBAL-not-real-3333"
BRAVE_OVERRIDE = "FAKE-BRAVE-OVERRIDE-not-real-4444"
CONFIG = '{"agent": {"model": "claude"}}'


def rows(db: Path) -> dict[str, dict[str, Any]]:
    """Every instance row but ids, timestamps and sealed keys (which differ per seal)."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        out: dict[str, dict[str, Any]] = {}
        for row in conn.execute("SELECT * FROM instances"):
            data = dict(row)
            # prior_nodeport: the pair a private instance held before it went private is a
            # convenience of this database (going back gets the same URLs), not in the cluster.
            for key in ("id", "created_at", "updated_at", "op_step", "op_owner", "prior_nodeport"):
                data.pop(key)
            for key in ("anthropic_api_key", "openai_api_key", "brave_api_key"):
                data[key] = data[key] is not None
            out[data["name"]] = data
        return out


def versions(emulator: EmulatorServer, namespace: str) -> dict[str, str]:
    """The resourceVersion of every labelled object (all eight kinds of every instance)."""
    return {
        f"{kind}/{o['metadata']['name']}": o["metadata"]["resourceVersion"]
        for kind in ("deployments", "services", "secrets", "configmaps", "persistentvolumeclaims")
        for o in emulator.objects(kind, namespace)
        if (o["metadata"].get("labels") or {}).get("managed-by") == "claworc"
    }


def activity_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM activity").fetchone()[0])


async def build_fleet(config: Settings, tmp_path: Path) -> None:
    """Three instances: overrides and config, stopped, private."""
    at = where(config)
    await ok(*at, "settings", "set", "anthropic", stdin=ANTHROPIC + "\n")
    await ok(*at, "settings", "set", "brave", stdin=BRAVE_GLOBAL + "\n")
    conf = tmp_path / "clawdbot.json"
    conf.write_text(CONFIG)
    await ok(
        *at,
        "create",
        "Bot Alpha",
        "--cpu-limit",
        "1500m",
        "--memory-request",
        "2Gi",
        "--storage-homebrew",
        "12Gi",
        "--config",
        str(conf),
        "--key",
        "openai",
        "--key",
        "brave",
        stdin=f"{OPENAI_OVERRIDE}\n{BRAVE_OVERRIDE}\n",
    )
    await ok(*at, "create", "Bot Beta")
    await ok(*at, "stop", "bot-beta")
    # Its own image (not the settings' one): adopt must keep it, or repair would roll it back.
    await ok(*at, "redeploy", "bot-beta", "--image", "registry.example/openclaw:2.1", "--no-wait")
    await ok(*at, "create", "Bot Gamma")
    await ok(*at, "expose", "bot-gamma", "private")


async def test_lost_database_comes_back_with_adopt_all(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    await build_fleet(config, tmp_path)
    before = rows(config.db)
    assert config.db is not None
    for suffix in ("", "-wal", "-shm"):
        Path(f"{config.db}{suffix}").unlink(missing_ok=True)
    at = where(config)
    # The operator re-enters the global keys (they lived in the lost file too).
    await ok(*at, "settings", "set", "anthropic", stdin=ANTHROPIC + "\n")
    await ok(*at, "settings", "set", "brave", stdin=BRAVE_GLOBAL + "\n")
    activity_before = activity_count(config.db)
    objects_before = versions(emulator, config.namespace)
    assert len(objects_before) == 24  # eight objects of each of the three instances
    # The dry run shows everything and writes nothing: no row, no activity, no object.
    code, out, err = await run_cli(*at, "adopt", "--all", "--dry-run")
    assert code == 0, out + err
    for name in ("bot-alpha", "bot-beta", "bot-gamma"):
        assert f"adopt            {name}" in out, out
    assert "3 instances would be adopted" in err
    assert "key override OpenAI sk-FAKE-…2222 (no global key here)" in out, out
    assert "key override Brave Search FAKE-…4444 (an override there)" in out, out
    assert OPENAI_OVERRIDE not in out + err
    assert BRAVE_OVERRIDE not in out + err
    assert rows(config.db) == {}
    assert activity_count(config.db) == activity_before
    assert versions(emulator, config.namespace) == objects_before

    out = await ok(*at, "adopt", "--all")
    assert "adopted 3 instances" in out, out
    after = rows(config.db)
    assert after == before
    assert after["bot-beta"]["image"] == "registry.example/openclaw:2.1"
    # Keys: the override that differs is sealed here, the global one is inherited.
    assert after["bot-alpha"]["openai_api_key"]
    assert after["bot-alpha"]["brave_api_key"]
    assert not after["bot-alpha"]["anthropic_api_key"]
    assert not any(after["bot-beta"][k] for k in ("anthropic_api_key", "openai_api_key"))
    secret = next(
        o
        for o in emulator.objects("secrets", config.namespace)
        if o["metadata"]["name"] == "bot-alpha-keys"
    )
    assert secret["metadata"]["annotations"]["claworc.dev/key-overrides"] == "openai,brave"
    code, out, err = await run_cli(*at, "repair", "--dry-run")
    assert code == 0, out + err
    assert "no drift: 3 instances match the cluster" in out
    # Adopting again is a no-op.
    out = await ok(*at, "adopt", "--all")
    assert "nothing to adopt" in out


async def test_adopt_refuses_what_is_not_ours(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    at = where(config)
    await ok(*at, "create", "Bot X")
    await plant(config)  # someone else's Deployment postgres, without our labels
    before = rows(config.db)
    cases = {
        "ghost": "nothing called ghost in namespace",
        "postgres": "not ours: Deployment postgres does not carry the labels",
        "Not_A_Name": "cannot be an instance name",
    }
    for name, message in cases.items():
        code, out, err = await run_cli(*at, "adopt", name)
        assert code == 2, (name, out, err)
        assert message in out + err, (name, out, err)
    # A good name next to a bad one: nothing is adopted.
    other = config.model_copy(update={"db": tmp_path / "other" / "claworc.db"})
    code, out, err = await run_cli(*where(other), "adopt", "bot-x", "ghost")
    assert code == 2, out + err
    assert "nothing was changed" in err
    assert other.db is not None
    assert not other.db.exists() or rows(other.db) == {}
    code, out, err = await run_cli(*at, "adopt")
    assert code == 2, out + err
    assert "NAMEs or --all" in err
    assert rows(config.db) == before
    labels = [
        o["metadata"].get("labels", {}) for o in emulator.objects("configmaps", config.namespace)
    ]
    assert json.dumps(labels).count("claworc.dev/owner") == 1


async def test_a_port_pair_recorded_here_is_a_conflict_and_nothing_changes(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    other = config.model_copy(update={"db": tmp_path / "other" / "claworc.db"})
    assert other.db is not None
    mine = where(other)
    # Here: an instance records pair 30100 while its Service is gone (deleted by hand)...
    await ok(*mine, "create", "Bot Y")
    assert rows(other.db)["bot-y"]["nodeport_chrome"] == 30100
    await delete_by_hand(config, "Service", "bot-y-vnc")
    # ... so the other database's new instance takes that pair in the cluster.
    await ok(*where(config), "create", "Bot X")
    owner_before = owners(emulator, config.namespace)
    code, out, err = await run_cli(*mine, "adopt", "bot-x")
    assert code == 1, out + err
    assert "conflict" in out
    assert "holds ports 30100,30101, which this database records for bot-y" in out
    assert sorted(rows(other.db)) == ["bot-y"]
    assert owners(emulator, config.namespace) == owner_before


def owners(emulator: EmulatorServer, namespace: str) -> dict[str, str | None]:
    return {
        o["metadata"]["name"]: (o["metadata"].get("labels") or {}).get("claworc.dev/owner")
        for kind in ("deployments", "configmaps", "secrets", "services", "persistentvolumeclaims")
        for o in emulator.objects(kind, namespace)
        if (o["metadata"].get("labels") or {}).get("managed-by") == "claworc"
    }


async def test_legacy_objects_without_an_owner_are_adoptable_not_orphans(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    at = where(config)
    await ok(*at, "create", "Bot Old")
    # As an app before owner ids made them: labels, no owner label or annotation.
    async with KubeClient(kubeconfig=config.kubeconfig, namespace=config.namespace) as kube:
        found = await kube.adopt.read_found("bot-old")
        for obj in found.objects:
            # ... and a display name no create would accept (a terminal escape).
            notes = {"claworc.dev/display-name": "Evil\x1b[2J"}
            await kube.adopt._set_owner(obj, None, None, notes)
    assert set(owners(emulator, config.namespace).values()) == {None}
    fresh = config.model_copy(update={"db": tmp_path / "fresh" / "claworc.db"})
    code, out, err = await run_cli(*where(fresh), "repair", "--dry-run")
    assert code == 0, out + err
    assert "owned elsewhere: bot-old: owned by no claworc database (made before owner ids)" in out
    assert "orphan" not in out
    out = await ok(*where(fresh), "adopt", "bot-old")
    assert "adopted 1 instance" in out
    assert "none (legacy)" in out
    assert "\x1b" not in out
    assert fresh.db is not None
    assert rows(fresh.db)["bot-old"]["display_name"] == "bot-old"
    ids = set(owners(emulator, config.namespace).values())
    assert len(ids) == 1
    assert None not in ids
    code, out, err = await run_cli(*where(fresh), "repair", "--dry-run")
    assert code == 0, out + err
    assert "no drift: 1 instance matches the cluster" in out
