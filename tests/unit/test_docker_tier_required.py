"""CI cannot pass with the Docker tier skipped: CLAWORC_REQUIRE_DOCKER=1 makes a skip a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ONE_TEST = "tests/docker/test_lifecycle.py::test_an_image_that_is_not_there_makes_nothing"


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    no_engine = f"unix://{tmp_path / 'absent.sock'}"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            ONE_TEST,
        ],
        cwd=ROOT,
        env={**os.environ, "DOCKER_HOST": no_engine, "CLAWORC_REQUIRE_DOCKER": "", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_an_engine_the_tier_skips_on_a_developer_machine(tmp_path: Path) -> None:
    done = _run(tmp_path)
    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout


def test_without_an_engine_the_tier_fails_where_ci_requires_it(tmp_path: Path) -> None:
    done = _run(tmp_path, CLAWORC_REQUIRE_DOCKER="1")
    assert done.returncode == 1, done.stdout
    assert "CLAWORC_REQUIRE_DOCKER=1: the Docker tier must run here" in done.stdout
