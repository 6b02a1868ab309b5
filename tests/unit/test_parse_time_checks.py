"""Bad arguments are refused at parsing: exit 2 with the specific message, before any database
or cluster is opened (so a missing cluster cannot turn bad input into exit 1)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from claworc_tui.cli.main import main

# (argv after the subcommand's global options, a word the message must hold)
CASES: list[tuple[list[str], str]] = [
    (["redeploy", "bot-a", "--image", "Bad Image"], "not a valid image reference"),
    (["redeploy", "bot-a", "--timeout", "0"], "--timeout must be more than 0"),
    (["redeploy", "Bot A"], "cannot be an instance name"),
    (["logs", "bot-a", "--tail", "-5"], "--tail must be 0 or more"),
    (["url", "bot-a", "--local-port", "9000"], "--local-port goes with --forward"),
    (["url", "bot-a", "--forward", "--local-port", "65535"], "--local-port"),
    (["forward", "bot-a", "--local-port", "0"], "--local-port"),
    (["start", "Bot A"], "cannot be an instance name"),
    (["stop", "bot-"], "cannot be an instance name"),
    (["rm", "BOT", "--yes"], "cannot be an instance name"),
    (["expose", "bot a", "private"], "cannot be an instance name"),
    (["create", "!!!"], "display name"),
    (["create", "Fine", "--cpu-limit", "2 cores"], "cpu_limit"),
    (["create", "Fine", "--memory-request=-1Gi"], "memory_request"),
    (["create", "Fine", "--storage-chrome", "lots"], "storage_chrome"),
    (["create", "Fine", "--config", "/nonexistent/clawdbot.json"], "--config: cannot read"),
    (["clone", "bot-a", "\t"], "display_name"),
    (["export", "--passphrase-file", "/nonexistent"], "only for --with-keys"),
    (["export", "Bot A"], "cannot be an instance name"),
    (["import", "/nonexistent/fleet.json"], "cannot read /nonexistent/fleet.json"),
    (["adopt"], "NAMEs or --all"),
    (["adopt", "--all", "bot-a"], "NAMEs or --all"),
    (["adopt", "Bot A"], "cannot be an instance name"),
    (["forget", "Bot A"], "cannot be an instance name"),
    (["settings", "set"], "needs a KEY"),
    (["settings", "set", "anthropic", "sk-ant-abc"], "never from the command line"),
    (["settings", "set", "colour", "red"], "unknown setting 'colour'"),
    (["settings", "get", "colour"], "unknown setting 'colour'"),
    (["settings", "set", "image"], "needs a VALUE"),
    (["settings", "set", "image", "nginx", "--clear"], "not both"),
    (["settings", "set", "port_range_start", "abc"], "not a port number"),
    (["settings", "set", "image", "Bad Image"], "image"),
    (["ls", "-n", "Bad NS"], 'namespace "Bad NS" is not a Kubernetes namespace name'),
    (["ls", "--namespace=-x"], "is not a Kubernetes namespace name"),
]


def _ids(value: object) -> str | None:
    return " ".join(value) if isinstance(value, list) else None


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own usage errors
            code = int(exc.code or 0)
    return code, err.getvalue()


@pytest.mark.parametrize("position", ["before", "after"])
@pytest.mark.parametrize(("argv", "needle"), CASES, ids=_ids)
def test_bad_argument_is_refused_before_anything_opens(
    argv: list[str], needle: str, position: str, tmp_path: Path
) -> None:
    db = tmp_path / "data" / "claworc.db"
    # A cluster that cannot be reached (no such kubeconfig): opening it would exit 1.
    where = ["--db", str(db), "--kubeconfig", str(tmp_path / "no-kubeconfig")]
    where += ["--runtime", "kubernetes"]
    command = [*where, *argv] if position == "before" else [*argv[:1], *where, *argv[1:]]
    code, err = _run(command)
    assert code == 2, (command, err)
    assert needle in err, (command, err)
    assert "Traceback" not in err
    assert not db.parent.exists(), "the database was opened before the arguments were checked"


@pytest.mark.parametrize(
    ("passphrase", "edit", "needle"),
    [
        ("correct-horse", True, "it was changed after it was exported"),
        ("wrong-passphrase", False, "wrong passphrase"),
    ],
)
def test_a_changed_or_wrongly_opened_import_is_refused_before_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passphrase: str, edit: bool, needle: str
) -> None:
    from pydantic import SecretStr

    from claworc_tui.crypto.passphrase import PassphraseSeal
    from claworc_tui.models.records import RecordsFile
    from claworc_tui.services import records as records_mod
    from claworc_tui.services.records_seal import file_place

    seal = PassphraseSeal.new(SecretStr("correct-horse"))
    empty = RecordsFile(version=3, exported_at="x", keys="sealed", seal=seal.params(), instances=[])
    doc = json.loads(records_mod.dump(empty))
    doc["integrity"] = seal.seal("claworc-tui/records: the whole file", file_place(doc))
    if edit:
        doc["exported_at"] = "y"
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps(doc))
    monkeypatch.setenv("CLAWORC_EXPORT_PASSPHRASE", passphrase)
    db = tmp_path / "data" / "claworc.db"
    code, err = _run(["import", str(path), "--db", str(db), "--runtime", "kubernetes"])
    assert (code, needle in err) == (2, True), err
    assert not db.parent.exists()
