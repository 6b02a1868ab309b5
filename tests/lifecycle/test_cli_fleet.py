"""clone, redeploy, export and import as real subprocesses, a real SQLite file, the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from tests.k8s.helpers import NS
from tests.lifecycle.test_cli import cli
from tests.lifecycle.test_cli_safety import cluster_state, db_state

SECRET = "sk-ant-api03.CLICLONE.CLICLONE-5555-ffff"


def image_of(emulator: EmulatorServer, name: str) -> str:
    dep = next(d for d in emulator.objects("deployments", NS) if d["metadata"]["name"] == name)
    return str(dep["spec"]["template"]["spec"]["containers"][0]["image"])


async def test_clone_and_redeploy(config: Settings, emulator: EmulatorServer) -> None:
    code, _, err = await cli(
        config, "create", "Bot Alpha", "--memory-limit", "6Gi", "--key", "anthropic", stdin=SECRET
    )
    assert code == 0, err
    code, out, err = await cli(config, "clone", "bot-alpha", "Bot Beta")
    assert code == 0, err
    assert out.strip() == "http://203.0.113.10:30102/vnc.html?autoconnect=true"
    assert "New: its own ports, and empty volumes" in err
    assert "key overrides (Anthropic)" in err
    assert SECRET not in out + err
    rows = {r["name"]: r for r in json.loads((await cli(config, "ls", "--json"))[1])}
    assert rows["bot-beta"]["memory_limit"] == "6Gi"
    for args, message in [
        (("clone", "bot-alpha", "Bot Beta"), "an instance named bot-beta already exists"),
        (("clone", "bot-alpha", "###"), "no letters or digits"),
        (("clone", "bot-nope", "Bot Gamma"), "bot-nope"),
        (("redeploy", "bot-alpha", "--image", "Bad Image"), "not a valid image reference"),
        (("redeploy", "bot-alpha", "--image", "nginx:1:2"), "not a valid image reference"),
        (("redeploy", "bot-nope"), "bot-nope"),
    ]:
        before = len(emulator.requests)
        code, _, err = await cli(config, *args)
        assert code == 2, (args, err)
        assert message in err, (args, err)
        writes = [
            r
            for r in emulator.requests[before:]
            if r.method != "GET" and "authorization.k8s.io" not in r.path
        ]
        assert writes == [], args
    code, out, err = await cli(
        config,
        "redeploy",
        "--image",
        "example.com/bot:2",
        "bot-alpha",
        "bot-beta",
        "--timeout",
        "20",
    )
    assert code == 0, err
    assert out.splitlines() == [
        "bot-alpha: redeployed (example.com/bot:2)",
        "bot-beta: redeployed (example.com/bot:2)",
    ]
    assert image_of(emulator, "bot-alpha") == image_of(emulator, "bot-beta") == "example.com/bot:2"
    code, _, err = await cli(config, "repair", "--dry-run")
    assert code == 0, err


async def test_export_import_round_trip(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    code, _, err = await cli(config, "create", "Bot Alpha", "--key", "anthropic", stdin=SECRET)
    assert code == 0, err
    assert (await cli(config, "create", "Bot Beta"))[0] == 0
    passfile = tmp_path / "pass"
    passfile.write_text("a long passphrase\n")
    before = db_state(config), cluster_state(emulator), sorted(config.db.parent.iterdir())
    code, out, err = await cli(config, "export", "--with-keys", "--passphrase-file", str(passfile))
    assert code == 0, err
    # Export only reads: the database, the cluster and the folder are as they were (a reader
    # may leave SQLite's empty -wal/-shm files, as ls does).
    after = db_state(config), cluster_state(emulator), sorted(config.db.parent.iterdir())
    assert after[:2] == before[:2]
    assert {p.name for p in after[2]} - {p.name for p in before[2]} <= {
        "claworc.db-wal",
        "claworc.db-shm",
    }
    assert SECRET not in out
    assert "CLICLONE" not in out
    exported = tmp_path / "fleet.json"
    exported.write_text(out)
    code, plain_out, _ = await cli(config, "export", "bot-alpha")
    assert code == 0
    assert json.loads(plain_out)["keys"] == "left out"
    assert SECRET not in plain_out
    # Into a new database: the cluster still has the objects, so ports are the instances' own.
    other = Settings(
        db=tmp_path / "restored" / "claworc.db", kubeconfig=config.kubeconfig, namespace=NS
    )
    for args, message in [
        (("import", str(exported)), "no passphrase"),
        (("import", str(tmp_path / "missing.json")), "cannot read"),
    ]:
        code, _, err = await cli(other, *args)
        assert (code, message in err) == (2, True), err
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    code, _, err = await cli(other, "import", str(exported), "--passphrase-file", str(wrong))
    assert (code, "wrong passphrase" in err) == (2, True), err
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**json.loads(out), "version": 9}))
    code, _, err = await cli(other, "import", str(newer), "--passphrase-file", str(passfile))
    assert (code, "format version 9, newer" in err) == (2, True), err
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text(out[: len(out) // 3])
    code, _, err = await cli(other, "import", str(corrupt))
    assert (code, "not JSON" in err) == (2, True), err
    assert json.loads((await cli(other, "ls", "--json"))[1]) == []
    code, imported, err = await cli(
        other, "import", "--passphrase-file", str(passfile), str(exported)
    )
    assert code == 0, err
    assert imported.split() == ["bot-alpha", "bot-beta"]
    assert "no cluster object was created" in err
    rows = json.loads((await cli(other, "ls", "--json"))[1])
    assert [(r["name"], r["nodeport_chrome"]) for r in rows] == [
        ("bot-alpha", 30100),
        ("bot-beta", 30102),
    ]
    code, again, err = await cli(other, "export", "--with-keys", "--passphrase-file", str(passfile))
    assert code == 0, err
    first, second = json.loads(out), json.loads(again)
    for doc in (first, second):
        for record in doc["instances"]:
            record.pop("sealed_keys")
        doc.pop("exported_at")
        doc.pop("seal")
        doc.pop("integrity")  # sealed with a fresh nonce each time
    assert first == second
    code, _, err = await cli(other, "import", "--passphrase-file", str(passfile), str(exported))
    assert (code, "already exists" in err) == (2, True), err


async def test_export_passphrase_sources_and_refusals(
    config: Settings, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, _, err = await cli(config, "create", "Bot Alpha", "--key", "anthropic", stdin=SECRET)
    assert code == 0, err
    code, _, err = await cli(config, "export", "--with-keys")
    assert (code, "no passphrase" in err) == (2, True), err
    passfile = tmp_path / "pass"
    passfile.write_text("a long passphrase\n")
    code, _, err = await cli(config, "export", "--passphrase-file", str(passfile))
    assert (code, "only for --with-keys" in err) == (2, True), err
    code, _, err = await cli(config, "export", "bot-nope")
    assert (code, "bot-nope" in err) == (2, True), err
    monkeypatch.setenv("CLAWORC_EXPORT_PASSPHRASE", "short")
    code, out, err = await cli(config, "export", "--with-keys")
    assert (code, out, "at least 8 characters" in err) == (2, "", True), err
    monkeypatch.setenv("CLAWORC_EXPORT_PASSPHRASE", "from the environment")
    code, out, err = await cli(config, "export", "--with-keys")
    assert code == 0, err
    assert SECRET not in out
    stdin_file = out
    code, out, err = await cli(config, "import", "-", stdin=stdin_file)
    # The environment opens the keys; the name is this database's already.
    assert (code, "an instance named bot-alpha already exists" in err) == (2, True), err
