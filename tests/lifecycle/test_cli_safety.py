"""Commands do exactly what they say: the real CLI in a subprocess, the emulator, a SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from claworc_tui.config import Settings
from claworc_tui.crypto.sealing import new_key
from claworc_tui.emulator import EmulatorServer

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
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=within)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        raise AssertionError(f"claworc-tui {' '.join(argv)} hung: {err.decode()[-3000:]}") from None
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


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
