from pathlib import Path

import pytest

from claworc_tui.cli.args import build_parser, settings_from_args
from claworc_tui.config import Settings


def test_defaults_follow_xdg(isolated_home: Path) -> None:
    settings = Settings()
    assert settings.db == isolated_home / ".local/share/claworc-tui/claworc.db"
    assert settings.key_file == isolated_home / ".config/claworc-tui/fernet.key"
    assert settings.log_file == isolated_home / ".local/state/claworc-tui/claworc-tui.log"
    assert settings.namespace == "claworc"
    assert not settings.read_only


def test_flag_beats_env_beats_default(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = build_parser()
    monkeypatch.setenv("CLAWORC_NAMESPACE", "from-env")
    monkeypatch.setenv("CLAWORC_READ_ONLY", "true")
    assert settings_from_args(parser.parse_args([])).namespace == "from-env"
    assert settings_from_args(parser.parse_args([])).read_only
    got = settings_from_args(parser.parse_args(["--namespace", "from-flag", "--db", "/x/y.db"]))
    assert got.namespace == "from-flag"
    assert got.db == Path("/x/y.db")
    monkeypatch.delenv("CLAWORC_NAMESPACE")
    assert settings_from_args(parser.parse_args([])).namespace == "claworc"


def test_log_level_flag_is_case_insensitive() -> None:
    args = build_parser().parse_args(["--log-level", "debug"])
    assert settings_from_args(args).log_level.value == "DEBUG"


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("claworc-tui ")
