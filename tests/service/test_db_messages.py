"""A database we cannot write, a full disk, a newer schema: each its own message.

The CLI runs for real in a subprocess. Root ignores file modes (and CI runs as root), so there
the read-only cases use the immutable attribute instead (see :func:`read_only`).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from claworc_tui.crypto.sealing import new_key

KEY = new_key().decode()


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make ``paths`` read-only for this process and its children, root included.

    As root, file modes are ignored: the immutable attribute (``chattr +i``) is used instead
    (refused without CAP_LINUX_IMMUTABLE: the test then skips, saying why).
    """
    if os.getuid() != 0:
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, m in modes.items():
                p.chmod(m)
        return
    done: list[Path] = []
    try:
        for p in paths:
            result = subprocess.run(["chattr", "+i", str(p)], capture_output=True, text=True)
            if result.returncode != 0:
                pytest.skip(f"running as root and chattr +i is refused: {result.stderr.strip()}")
            done.append(p)
        yield
    finally:
        for p in done:
            subprocess.run(["chattr", "-i", str(p)], check=False)


def run(
    home: Path, *argv: str, preexec: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAWORC_", "XDG_"))}
    env.update(HOME=str(home), CLAWORC_FERNET_KEY=KEY)
    return subprocess.run(
        [sys.executable, "-m", "claworc_tui", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=preexec,
        cwd="/",
    )


def closed_kubeconfig(folder: Path) -> str:
    """A kubeconfig whose server refuses connections at once (these tests need no cluster)."""
    path = folder / "kubeconfig-closed"
    if not path.exists():
        path.write_text(
            '{"apiVersion": "v1", "kind": "Config", "current-context": "c",'
            ' "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:9"}}],'
            ' "users": [{"name": "u", "user": {"token": "t"}}],'
            ' "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}'
        )
    return str(path)


def make_db(path: Path) -> None:
    """A real database with one setting, written by the CLI itself, then closed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    home = path.parent.parent / f"maker-home-{path.stem}"
    home.mkdir()
    done = run(home, "settings", "set", "node_host", "203.0.113.7", "--db", str(path),
               "--kubeconfig", closed_kubeconfig(path.parent.parent))  # fmt: skip
    assert done.returncode == 0, done.stderr
    shutil.rmtree(home)


def test_a_read_only_folder_without_a_database(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    home = tmp_path / "cli-home"
    home.mkdir()
    with read_only(folder):
        done = run(home, "settings", "set", "image", "nginx:1", "--db", str(folder / "c.db"))
    assert done.returncode == 1, done.stderr
    assert "not writable" in done.stderr
    assert "damaged" not in done.stderr
    assert not (folder / "c.db").exists()


def test_a_read_only_database_reads_and_refuses_writes_by_name(tmp_path: Path) -> None:
    db = tmp_path / "data" / "c.db"
    make_db(db)
    home = tmp_path / "cli-home"
    home.mkdir()
    before = db.read_bytes()
    with read_only(db, db.parent):
        for argv in (["settings", "get", "node_host"], ["settings", "get"]):
            done = run(home, *argv, "--db", str(db), "--kubeconfig", closed_kubeconfig(tmp_path))
            assert "damaged" not in done.stderr, done.stderr
            assert "Traceback" not in done.stderr
            if argv[-1] == "node_host":
                assert done.stdout.strip() == "203.0.113.7", done.stderr
        done = run(home, "settings", "set", "image", "nginx:1", "--db", str(db))
    assert done.returncode == 1
    assert "read-only" in done.stderr, done.stderr
    assert "damaged" not in done.stderr
    assert db.read_bytes() == before


def test_a_read_only_file_in_a_writable_folder(tmp_path: Path) -> None:
    db = tmp_path / "data" / "c.db"
    make_db(db)
    home = tmp_path / "cli-home"
    home.mkdir()
    with read_only(db):
        done = run(home, "settings", "set", "image", "nginx:1", "--db", str(db))
    assert done.returncode == 1
    assert "read-only" in done.stderr, done.stderr
    assert "damaged" not in done.stderr


def test_a_full_disk_is_not_damage(tmp_path: Path) -> None:
    """A real ENOSPC: a small tmpfs in a private mount namespace, filled up, then a write."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    home = tmp_path / "cli-home"
    home.mkdir()
    kubeconfig = closed_kubeconfig(tmp_path)
    cli = f"{shlex.quote(sys.executable)} -m claworc_tui"
    db = shlex.quote(str(folder / "c.db"))
    script = (
        f"mount -t tmpfs -o size=512k tmpfs {shlex.quote(str(folder))} || exit 97; "
        f"{cli} settings set node_host 203.0.113.7 --db {db} --kubeconfig {kubeconfig} "
        ">/dev/null 2>&1 || exit 98; "
        f"dd if=/dev/zero of={shlex.quote(str(folder / 'fill'))} bs=4k 2>/dev/null; "
        f"exec {cli} settings set image nginx:1 --db {db} --kubeconfig {kubeconfig}"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAWORC_", "XDG_"))}
    env.update(HOME=str(home), CLAWORC_FERNET_KEY=KEY)
    done = None
    for unshare in (["unshare", "-m"], ["unshare", "-r", "-m"]):
        if shutil.which("unshare") is None:
            break
        done = subprocess.run(
            [*unshare, "sh", "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        if done.returncode not in (97, 98) and "unshare:" not in done.stderr:
            break
        done = None
    if done is None:
        pytest.skip("cannot mount a small tmpfs here (unshare -m / -rm refused)")
    assert done.returncode == 1, done.stderr
    assert "is full" in done.stderr, done.stderr
    assert "free some space" in done.stderr
    assert "damaged" not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_newer_schema_says_so(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    make_db(db)
    raw = sqlite3.connect(db)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    home = tmp_path / "cli-home"
    home.mkdir()
    for argv in (["settings", "get"], ["settings", "set", "image", "nginx:1"]):
        done = run(home, *argv, "--db", str(db))
        assert done.returncode == 1, done.stderr
        assert "newer" in done.stderr, done.stderr
        assert "upgrade" in done.stderr
        assert "Traceback" not in done.stderr


def test_a_database_others_can_read_that_cannot_be_restricted_is_an_error(
    tmp_path: Path,
) -> None:
    if os.getuid() != 0:
        pytest.skip("only root can make chmod fail on its own file (chattr +i)")
    db = tmp_path / "data" / "c.db"
    make_db(db)
    db.chmod(0o644)
    home = tmp_path / "cli-home"
    home.mkdir()
    with read_only(db):
        done = run(home, "settings", "set", "image", "nginx:1", "--db", str(db))
    assert done.returncode == 1, done.stderr
    assert "readable by others" in done.stderr, done.stderr
    assert "0644" in done.stderr
    assert "Traceback" not in done.stderr
