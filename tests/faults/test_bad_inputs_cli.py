"""Bad input through the CLI: each rejected with a specific message, exit 2, nothing written."""

from __future__ import annotations

import asyncio
import contextlib
import io
import random
from pathlib import Path

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.cli.main import main
from claworc_tui.config import Settings
from tests.faults.bad_inputs import BAD_NAMES, bad_json, bad_quantities, bad_settings, stored_state

CASES_PER_KIND = 80


def run(config: Settings, command: str, *args: str) -> tuple[int, str]:
    err = io.StringIO()
    flags = ["--db", str(config.db), "--kubeconfig", str(config.kubeconfig)]
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main([command, *flags, *args])
        except SystemExit as exc:  # argparse's own usage errors
            code = int(exc.code or 0)
    return code, err.getvalue()


@pytest.mark.slow
async def test_generated_bad_inputs_are_rejected(
    config: Settings, emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(20261122)
    cases: list[tuple[list[str], str]] = []
    for name in BAD_NAMES:
        cases.append((["create", "--", name], "display"))
    for q in bad_quantities(rng, CASES_PER_KIND):
        flag = rng.choice(["--cpu-limit", "--memory-limit", "--storage-chrome", "--cpu-request"])
        field = flag.removeprefix("--").replace("-", "_")
        cases.append((["create", "Fine Name", flag, q], field))
    for i, text in enumerate(bad_json(rng, CASES_PER_KIND)):
        path = tmp_path / f"bad{i}.json"
        path.write_text(text)
        cases.append((["create", "Fine Name", "--config", str(path)], "clawdbot.json"))
    for key, value in bad_settings(rng, CASES_PER_KIND):
        cases.append((["settings", "set", key, value], key.split("_")[0]))
    cases.append((["logs", "bot-x", "--tail", "-5"], "tail"))
    cases.append((["url", "bot-nobody"], "bot-nobody"))
    assert len(cases) >= 250
    # A first valid call that writes creates the database ("ls" only reads: it creates
    # nothing), so "nothing written" compares like with like.
    assert (await asyncio.to_thread(run, config, "repair"))[0] == 0
    before = stored_state(config.db, emulator)
    for args, needle in cases:
        code, err = await asyncio.to_thread(run, config, *args)
        assert code == 2, (args, err)
        assert needle.lower().replace("-", "_") in err.lower().replace("-", "_"), (args, err)
        assert "Traceback" not in err
    assert stored_state(config.db, emulator) == before
    assert not emulator.objects("deployments", config.namespace)
    assert not emulator.objects("persistentvolumeclaims", config.namespace)
