"""The app on a pseudo-terminal for the benchmarks: a pty, a ``pyte`` screen fed with what the
app writes, the app's CPU and RSS from ``/proc``, and the launch clock (first byte, list drawn,
live status). ``bench/terminal.py`` measures with it."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import struct
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pyte
from _fleet import NS

COLS, ROWS = 160, 45
_TICKS = os.sysconf("SC_CLK_TCK")
#: Textual asks whether the terminal supports synchronized output (DECRQM for mode 2026) …
SYNC_QUERY = b"\x1b[?2026$p"
#: … and, when told so, ends every frame with this.
SYNC_END = b"\x1b[?2026l"


class Terminal:
    """A child process on a pty, its output counted and fed to a pyte screen."""

    def __init__(self, argv: list[str], env: dict[str, str], *, sync: bool = False) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.started = time.monotonic()
        self.pid = os.posix_spawn(
            argv[0],
            argv,
            env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, slave, 0),
                (os.POSIX_SPAWN_DUP2, slave, 1),
                (os.POSIX_SPAWN_DUP2, slave, 2),
                (os.POSIX_SPAWN_CLOSE, master),
            ],
            setsid=True,
        )
        os.close(slave)
        self.fd = master
        os.set_blocking(master, False)
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.bytes = 0
        self.frames = 0
        """Frames written (counted only when the app was told about synchronized output)."""
        self.sync = sync
        self._tail = b""
        self.first_byte: float | None = None
        self.cpu_when_met = 0.0
        """The app's CPU time when the last :meth:`wait` was met (read as its output came)."""
        self._waiters: list[tuple[Callable[[str], bool], asyncio.Future[float]]] = []
        self._text = ""
        self._dirty = True
        asyncio.get_running_loop().add_reader(master, self._readable)

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self.fd)
            return
        now = time.monotonic()
        if self.first_byte is None:
            self.first_byte = now
        self.bytes += len(data)
        seen = self._tail + data  # a marker may be cut between two reads
        self.frames += seen.count(SYNC_END)
        if self.sync and SYNC_QUERY in seen:
            os.write(self.fd, b"\x1b[?2026;2$y")  # supported (reset)
        self._tail = data[-(len(SYNC_QUERY) - 1) :]
        self.stream.feed(data)
        self._dirty = True
        if self._waiters:
            text = self.text()
            for check, future in list(self._waiters):
                if not future.done() and check(text):
                    self.cpu_when_met = self.cpu_seconds()
                    future.set_result(now)
            self._waiters = [(c, f) for c, f in self._waiters if not f.done()]

    def text(self) -> str:
        """The screen as lines of text."""
        if self._dirty:
            self._text = "\n".join(self.screen.display)
            self._dirty = False
        return self._text

    async def wait(self, check: Callable[[str], bool], within: float, what: str) -> float:
        """The time of the first screen for which ``check`` holds (now, if it already does)."""
        if check(self.text()):
            return time.monotonic()
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((check, future))
        try:
            return await asyncio.wait_for(future, within)
        except TimeoutError:
            raise TimeoutError(f"no screen with {what} within {within:.0f}s") from None

    def send(self, keys: bytes) -> float:
        """Type ``keys``; returns when they were written."""
        os.write(self.fd, keys)
        return time.monotonic()

    def cpu_seconds(self) -> float:
        """User + system CPU of the app process so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def rss_mb(self) -> float:
        """Resident set size of the app process."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    async def close(self) -> None:
        """Quit with ``q``; killed if it has not exited after 5 s."""
        with contextlib.suppress(OSError):
            self.send(b"q")
        exited = asyncio.ensure_future(asyncio.to_thread(os.waitpid, self.pid, 0))
        try:
            await asyncio.wait_for(asyncio.shield(exited), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, 9)
            await exited
        with contextlib.suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(self.fd)
        os.close(self.fd)


def app_command(folder: Path) -> tuple[list[str], dict[str, str]]:
    """How a user would start the app on the seeded database and the emulator's kubeconfig."""
    argv = [sys.executable, "-m", "claworc_tui"]
    argv += ["--db", str(folder / "data" / "claworc.db")]
    argv += ["--kubeconfig", str(folder / "kubeconfig"), "--namespace", NS]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder / "home"),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "LANG": "C.UTF-8",
        "CLAWORC_CONFIG_DIR": str(folder / "config"),
        "CLAWORC_STATE_DIR": str(folder / "state"),
    }
    return argv, env


def names_on(text: str, names: list[str]) -> set[str]:
    """Instance names visible on the screen."""
    return {n for n in names if n in text}


def running_rows(text: str, names: set[str]) -> int:
    """How many of ``names`` are on a line that also says Running."""
    return sum(
        1 for line in text.splitlines() if "Running" in line and any(n in line for n in names)
    )


class Run:
    """One run's figures."""

    def __init__(self) -> None:
        self.first_byte = self.drawn = self.live = self.cpu = self.cpu_live = 0.0
        self.first_name = 0.0
        self.idle_bytes_per_min = self.idle_rss = 0.0
        self.rate = self.flood_rss = 0.0
        self.keys: list[float] = []
        self.load = ""
        self.flood_seconds = self.flood_bytes = self.flood_frames = self.flood_cpu = 0.0


async def launch(
    folder: Path, names: list[str], visible: set[str] | None, *, sync: bool = False
) -> tuple[Terminal, Run]:
    """Start the app; wait for the list and for live status."""
    argv, env = app_command(folder)
    run = Run()
    run.load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    term = Terminal(argv, env, sync=sync)
    if visible is None:  # the warm-up run finds out how many rows fit
        await term.wait(lambda t: names[0] in t, 60, names[0])
        await asyncio.sleep(3)
        visible = names_on(term.text(), names)
    first = await term.wait(lambda t: names[0] in t, 60, names[0])
    drawn = await term.wait(lambda t: names_on(t, names) >= visible, 60, "every visible row")
    run.cpu = term.cpu_when_met
    live = await term.wait(lambda t: running_rows(t, visible) >= len(visible), 60, "Running rows")
    run.cpu_live = term.cpu_when_met
    run.first_name = first - term.started
    assert term.first_byte is not None
    run.first_byte = term.first_byte - term.started
    run.drawn = drawn - term.started
    run.live = live - term.started
    return term, run
