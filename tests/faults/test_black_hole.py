"""An API server that accepts connections and never answers: the app shows a frame at once,
says it is connecting, and Ctrl+C ends it cleanly. The real CLI runs in a pseudo-terminal."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from claworc_tui.crypto.sealing import new_key


@pytest.fixture
def black_hole() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a socket that accepts and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()


def kubeconfig(tmp_path: Path, server: str) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "hole",
                "clusters": [{"name": "hole", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "hole", "context": {"cluster": "hole", "user": "u"}}],
            }
        )
    )
    return path


def read_until(fd: int, needle: bytes, within: float) -> tuple[bool, bytes]:
    seen = b""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if needle in seen:
                return True, seen
    return False, seen


def test_first_frame_at_once_and_ctrl_c_exits_cleanly(tmp_path: Path, black_hole: str) -> None:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAWORC_", "XDG_"))}
    env.update(
        HOME=str(tmp_path / "home"),
        TERM="xterm-256color",
        CLAWORC_FERNET_KEY=new_key().decode(),
        CLAWORC_DB=str(tmp_path / "c.db"),
        CLAWORC_KUBECONFIG=str(kubeconfig(tmp_path, black_hole)),
    )
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "claworc_tui"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    try:
        found, seen = read_until(master, b"onnecting", within=8)
        assert found, seen[-2000:]
        assert time.monotonic() - started < 8
        os.write(master, b"\x03")  # Ctrl+C
        # Keep reading meanwhile, as a terminal does: the app's last frames and the terminal
        # reset are written on the way out, and a pty nobody reads stops the writer when full.
        rest = b""
        deadline = time.monotonic() + 8
        while proc.poll() is None and time.monotonic() < deadline:
            rest += read_until(master, b"\x00never\x00", within=0.2)[1]
        if proc.poll() is None:
            pytest.fail("Ctrl+C did not end the app within 8 s")
        rest += read_until(master, b"\x00never\x00", within=0.5)[1]
        output = (seen + rest).decode(errors="replace")
        assert "Traceback" not in output, output[-3000:]
        assert "KeyboardInterrupt" not in output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_sigint_before_the_screen_is_up_is_clean(tmp_path: Path, black_hole: str) -> None:
    """A CLI command against the black hole, interrupted: a message, no traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAWORC_", "XDG_"))}
    env.update(HOME=str(tmp_path / "home"), CLAWORC_FERNET_KEY=new_key().decode())
    proc = subprocess.Popen(
        [sys.executable, "-m", "claworc_tui", "stop", "bot-x", "--db", str(tmp_path / "c.db"),
         "--kubeconfig", str(kubeconfig(tmp_path, black_hole))],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    time.sleep(3)
    proc.send_signal(2)
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("SIGINT did not end the command")
    assert "Traceback" not in err, err
    assert proc.returncode == 130, err
    assert "interrupted" in err
