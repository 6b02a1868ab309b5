"""Replay the golden corpus recorded from a real kube-apiserver against the emulator.

One test per case file. The corpus folder is ``$CLAWORC_GOLDEN_DIR`` (default
``../shared/k8s-golden/cases`` beside the repository); without it the tier is skipped. All
selected cases are replayed concurrently once (each against its own fresh emulator, in a thread
with its own event loop), then every test reports its own case.
"""

from __future__ import annotations

import asyncio
import os
import threading
import tomllib
from pathlib import Path
from typing import Any

import pytest

from .runner import Outcome, replay

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(os.environ.get("CLAWORC_GOLDEN_DIR") or ROOT.parent / "shared/k8s-golden/cases")
ALLOWED_FILE = Path(__file__).with_name("allowed_differences.toml")
CONCURRENCY = 12


def _cases() -> list[Path]:
    return sorted(GOLDEN.glob("*/*.json")) if GOLDEN.is_dir() else []


def _case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _allowed() -> dict[str, list[dict[str, Any]]]:
    data = tomllib.loads(ALLOWED_FILE.read_text())
    out: dict[str, list[dict[str, Any]]] = {}
    for entry in data.get("difference", []):
        assert entry.get("reason"), f"allowed difference without a reason: {entry}"
        out.setdefault(entry["case"], []).append(entry)
    return out


ALLOWED = _allowed()
CASES = _cases()


def _ignores(case: str) -> list[tuple[str, str]]:
    """(step, prefix) pairs: difference lines starting with prefix (in that step, or any
    step when it is "") are allowed."""
    out: list[tuple[str, str]] = []
    for entry in ALLOWED.get("*", []) + ALLOWED.get(case, []):
        out += [(entry.get("step", ""), prefix) for prefix in entry.get("ignore", [])]
    return out


class _Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done: dict[str, Outcome] = {}

    def get(self, wanted: list[Path], case: str) -> Outcome:
        with self.lock:
            if case not in self.done:
                todo = [p for p in wanted if _case_id(p) not in self.done]
                result: dict[str, Outcome] = {}
                thread = threading.Thread(target=lambda: result.update(_run_all(todo)))
                thread.start()
                thread.join()
                self.done.update(result)
            return self.done[case]


def _run_all(paths: list[Path]) -> dict[str, Outcome]:
    async def main() -> dict[str, Outcome]:
        sem = asyncio.Semaphore(CONCURRENCY)

        async def one(path: Path) -> Outcome:
            async with sem:
                return await replay(path, _ignores(_case_id(path)))

        outcomes = await asyncio.gather(*(one(p) for p in paths))
        return {o.case: o for o in outcomes}

    return asyncio.run(main())


RESULTS = _Results()


@pytest.fixture(scope="session")
def selected_cases(request: pytest.FixtureRequest) -> list[Path]:
    ids = {
        item.callspec.params["case_file"]
        for item in request.session.items
        if hasattr(item, "callspec") and "case_file" in item.callspec.params
    }
    return [p for p in CASES if p in ids]


def _params() -> list[Any]:
    if not CASES:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no golden corpus at {GOLDEN}"))]
    params = []
    for path in CASES:
        case = _case_id(path)
        whole = [e for e in ALLOWED.get(case, []) if not e.get("ignore")]
        marks = []
        if whole:
            marks.append(pytest.mark.xfail(reason=whole[0]["reason"], strict=True))
        params.append(pytest.param(path, id=case, marks=marks))
    return params


@pytest.mark.parametrize("case_file", _params())
def test_case(case_file: Path, selected_cases: list[Path]) -> None:
    outcome = RESULTS.get(selected_cases, _case_id(case_file))
    if outcome.failures:
        pytest.fail(
            f"{outcome.case}: the emulator differs from the recording\n"
            + "\n".join(outcome.failures),
            pytrace=False,
        )


def test_allowed_differences_name_real_cases() -> None:
    """Every entry of the allowed-differences file names a case of the corpus (or '*')."""
    if not CASES:
        pytest.skip(f"no golden corpus at {GOLDEN}")
    known = {_case_id(p) for p in CASES} | {"*"}
    assert set(ALLOWED) <= known, sorted(set(ALLOWED) - known)
