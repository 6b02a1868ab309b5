"""Commands do exactly what they say: the real CLI in a subprocess, the emulator, a SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import sys
import time
from pathlib import Path

from pydantic import SecretStr

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.crypto.sealing import new_key
from claworc_tui.services import open_services
from tests.faults.cli_proc import finished

KEY = new_key().decode()


async def run_cli(
    *argv: str, stdin: str = "", env: dict[str, str] | None = None, within: float = 30
) -> tuple[int, str, str]:
    """``python -m claworc_tui ARGV`` exactly as given; (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "claworc_tui",
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "CLAWORC_FERNET_KEY": KEY, **(env or {})},
    )
    return await finished(proc, argv, stdin=stdin, within=within)


async def ok(*argv: str, stdin: str = "") -> str:
    """:func:`run_cli` that must succeed; its stdout and stderr together."""
    code, out, err = await run_cli(*argv, stdin=stdin)
    assert code == 0, f"{argv}: {out}{err}"
    return out + err


def where(config: Settings) -> list[str]:
    return ["--db", str(config.db), "--kubeconfig", str(config.kubeconfig)]


def two_contexts(config: Settings, tmp_path: Path) -> Path:
    """The emulator's kubeconfig with a second context ``staging`` (the current one stays)."""
    assert config.kubeconfig is not None
    data = json.loads(config.kubeconfig.read_text())
    ctx = data["contexts"][0]
    data["contexts"].append(
        {"name": "staging", "context": {**ctx["context"], "namespace": "staging"}}
    )
    path = tmp_path / "two-contexts"
    path.write_text(json.dumps(data))
    return path


def pvcs(emulator: EmulatorServer, namespace: str) -> list[str]:
    return sorted(
        p["metadata"]["name"] for p in emulator.objects("persistentvolumeclaims", namespace)
    )


async def test_global_options_before_the_subcommand_are_kept(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    code, _, err = await run_cli(*where(config), "-n", config.namespace, "create", "Bot X")
    assert code == 0, err
    before = pvcs(emulator, config.namespace)
    assert len(before) == 4
    kubeconfig = two_contexts(config, tmp_path)
    # The reported command: every global option before the subcommand.
    code, out, err = await run_cli(
        "--db", str(config.db), "--kubeconfig", str(kubeconfig),
        "--context", "staging", "--namespace", "staging", "--read-only",
        "rm", "bot-x", "--yes",
    )  # fmt: skip
    assert code != 0, out + err
    assert "read-only" in err or "no instance named bot-x" in err, err
    assert pvcs(emulator, config.namespace) == before
    assert emulator.objects("deployments", config.namespace)


# -- read-only commands change nothing ---------------------------------------------------------


def db_state(config: Settings) -> tuple[bytes, int]:
    """The database file's bytes and the size of its WAL (a reader may leave an empty one)."""
    wal = Path(f"{config.db}-wal")
    return config.db.read_bytes(), wal.stat().st_size if wal.exists() else 0


def cluster_state(emulator: EmulatorServer) -> dict[str, list[tuple[str, str, str]]]:
    kinds = ("namespaces", "deployments", "persistentvolumeclaims", "secrets", "configmaps")
    out: dict[str, list[tuple[str, str, str]]] = {}
    for kind in kinds:
        namespace = None if kind == "namespaces" else "claworc"
        objs = emulator.objects(kind, namespace)  # type: ignore[arg-type]
        out[kind] = sorted(
            (o["metadata"].get("namespace", ""), o["metadata"]["name"],
             o["metadata"]["resourceVersion"])
            for o in objs
        )  # fmt: skip
    return out


async def x_and_a_half_deleted_y(config: Settings) -> None:
    """Create Bot X and Bot Y, then leave bot-y as a process that died deleting it would."""
    for display_name in ("Bot X", "Bot Y"):
        await ok(*where(config), "create", display_name)
    mark_interrupted_delete(config, "bot-y")


def mark_interrupted_delete(config: Settings, name: str) -> None:
    """Leave ``name`` as a process that died mid-delete would (its owner pid is gone)."""
    raw = sqlite3.connect(config.db)
    try:
        with raw:
            raw.execute(
                "UPDATE instances SET status = 'deleting', op_step = 'deployment', "
                "op_owner = ? WHERE name = ?",
                (f"{socket.gethostname()}:999999999", name),
            )
    finally:
        raw.close()


READ_ONLY_COMMANDS: list[list[str]] = [
    ["ls"],
    ["ls", "--json"],
    ["url", "bot-x"],
    ["logs", "bot-x", "--tail", "5"],
    ["settings", "get"],
    ["settings", "get", "image"],
    ["repair", "--dry-run"],
    ["--read-only", "repair"],
    ["export"],
    ["export", "bot-x"],
]


async def test_read_only_commands_change_nothing(
    config: Settings, emulator: EmulatorServer
) -> None:
    await x_and_a_half_deleted_y(config)
    db_before, cluster_before = db_state(config), cluster_state(emulator)
    for command in READ_ONLY_COMMANDS:
        for argv in ([*where(config), *command], [*command, *where(config)]):
            code, out, err = await run_cli(*argv)
            assert code in (0, 1, 3), (argv, out, err)  # 3: repair --dry-run found drift
            assert "Traceback" not in err
            assert db_state(config) == db_before, argv
            assert cluster_state(emulator) == cluster_before, argv
    # repair --dry-run lists the interrupted delete; it does not finish it.
    code, out, _ = await run_cli(*where(config), "repair", "--dry-run")
    assert "bot-y" in out
    assert len(pvcs(emulator, config.namespace)) == 8


async def test_ls_in_another_namespace_creates_nothing(
    config: Settings, emulator: EmulatorServer
) -> None:
    code, _, err = await run_cli(*where(config), "ls", "--namespace", "nope")
    assert code == 0, err
    names = [n["metadata"]["name"] for n in emulator.objects("namespaces", None)]  # type: ignore[arg-type]
    assert "nope" not in names


async def test_ls_does_not_wait_for_a_writer(config: Settings, emulator: EmulatorServer) -> None:
    await ok(*where(config), "create", "Bot X")
    writer = sqlite3.connect(config.db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE instances SET display_name = display_name")
        started = time.monotonic()
        code, out, err = await run_cli(*where(config), "ls", within=20)
        assert code == 0, err
        assert "bot-x" in out
        assert time.monotonic() - started < 8
    finally:
        writer.execute("ROLLBACK")
        writer.close()


async def test_a_writing_command_sweeps_and_says_what_it_did(
    config: Settings, emulator: EmulatorServer
) -> None:
    await x_and_a_half_deleted_y(config)
    code, _, err = await run_cli(*where(config), "stop", "bot-x")
    assert code == 0, err
    assert "bot-y" in err, err
    assert "finished the delete" in err, err
    assert len(pvcs(emulator, config.namespace)) == 4


async def test_read_only_tui_services_change_nothing(
    config: Settings, emulator: EmulatorServer
) -> None:
    """What the TUI opens with ``--read-only``: no sweep, no namespace, no database write."""
    await x_and_a_half_deleted_y(config)
    db_before, cluster_before = db_state(config), cluster_state(emulator)
    keyed = config.model_copy(update={"fernet_key": SecretStr(KEY)})
    read_only = keyed.model_copy(update={"read_only": True, "namespace": "elsewhere"})
    for settings in (keyed.model_copy(update={"read_only": True}), read_only):
        services = await open_services(settings)
        try:
            assert services.read_only_reason
            assert services.swept == []
            await services.instances.list_views()
        finally:
            await services.aclose()
        assert db_state(config) == db_before
        assert cluster_state(emulator) == cluster_before


# -- bad input gets a specific message and changes nothing --------------------------------------


async def test_non_ascii_digits_and_trailing_newlines_are_refused(
    config: Settings, emulator: EmulatorServer
) -> None:
    await ok(*where(config), "create", "Bot X")
    db_before = db_state(config)
    for argv, needle in [
        (["create", "Bot Y", "--memory-limit", "５Gi"], "memory_limit"),
        (["create", "Bot Y", "--storage-chrome", "٤Gi"], "chrome"),
        (["settings", "set", "node_host", "evil.example\n"], "node_host"),
        (["settings", "set", "image", "nginx:1\n"], "image"),
        (["settings", "set", "image_pull_secret", "regcred\n"], "image_pull_secret"),
        (["settings", "set", "port_range_start", "³⁰¹⁰⁰"], "port_range_start"),
    ]:
        code, _, err = await run_cli(*where(config), *argv)
        assert code == 2, (argv, err)
        assert needle in err, (argv, err)
        assert "Traceback" not in err
        assert "internal error" not in err
    assert db_state(config)[0] == db_before[0]
    code, out, _ = await run_cli(*where(config), "url", "bot-x")
    assert code == 0
    assert out.count("\n") == 1
    assert "evil" not in out


async def test_bad_config_files_are_refused_with_exit_2(
    config: Settings, emulator: EmulatorServer, tmp_path: Path
) -> None:
    cases: list[tuple[str, bytes | None, str]] = [
        ("deep.json", b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested deeper"),
        ("latin1.json", b'{"name": "caf\xe9"}', "not UTF-8"),
        ("nan.json", b'{"x": NaN}', "NaN"),
        ("inf.json", b'{"x": -Infinity}', "Infinity"),
        ("huge-number.json", b'{"x": 1e999}', "1e999"),
        ("long-int.json", b'{"x": ' + b"9" * 5000 + b"}", "number"),
        ("big.json", b'{"x": "' + b"a" * (1024 * 1024) + b'"}', "1 MiB"),
        ("/dev/zero", None, "1 MiB"),
    ]
    for name, content, needle in cases:
        path = Path(name) if content is None else tmp_path / name
        if content is not None:
            path.write_bytes(content)
        code, out, err = await run_cli(*where(config), "create", "Bot Y", "--config", str(path))
        assert code == 2, (name, out, err[-2000:])
        assert "clawdbot.json" in err or "config" in err, (name, err[-2000:])
        assert needle in err, (name, err[-2000:])
        assert "Traceback" not in err
        assert "internal error" not in err
    # (kube-root-ca.crt is there in every namespace, as a real cluster's controller puts it.)
    assert not [
        c
        for c in emulator.objects("configmaps", config.namespace)
        if (c["metadata"].get("labels") or {}).get("managed-by") == "claworc"
    ]
    code, out, _ = await run_cli(*where(config), "ls", "--json")
    assert json.loads(out) == []


FAKE_KEY = "sk-ant-api03.SAFETYFAKE.SAFETYFAKE-3333-dddd"


def secret_data(emulator: EmulatorServer, name: str) -> dict[str, str]:
    for s in emulator.objects("secrets", "claworc"):
        if s["metadata"]["name"] == name:
            return dict(s.get("data") or {})
    raise AssertionError(f"no secret {name}")


async def test_an_empty_key_never_clears_the_global_key(
    config: Settings, emulator: EmulatorServer
) -> None:
    code, _, err = await run_cli(*where(config), "settings", "set", "anthropic", stdin=FAKE_KEY)
    assert code == 0, err
    await ok(*where(config), "create", "Bot X")
    before_secret = secret_data(emulator, "bot-x-keys")
    assert before_secret
    db_before = db_state(config)[0]
    for stdin, needle in [
        ("", "--clear"),
        ("\n", "--clear"),
        ("sk-ant two words", "one line without spaces"),
    ]:
        code, _, err = await run_cli(*where(config), "settings", "set", "anthropic", stdin=stdin)
        assert code == 2, (stdin, err)
        assert needle in err, (stdin, err)
        assert db_state(config)[0] == db_before
        assert secret_data(emulator, "bot-x-keys") == before_secret
    code, out, _ = await run_cli(*where(config), "settings", "get", "anthropic_api_key")
    assert out.strip().endswith("dddd")
    # --clear clears it, says so, and reads nothing.
    code, out, err = await run_cli(*where(config), "settings", "set", "anthropic", "--clear")
    assert code == 0, err
    assert "cleared" in out
    assert secret_data(emulator, "bot-x-keys") == {}
    code, out, _ = await run_cli(*where(config), "settings", "get", "anthropic_api_key")
    assert out.strip() == "(not set)"
