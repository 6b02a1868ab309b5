"""Connect this process's terminal (or pipes) to an exec session, like ``kubectl exec -it``.

With a terminal on stdin the terminal is put in raw mode (the pod's TTY does the echo and line
editing), its size is sent at the start and again on every ``SIGWINCH``, and it is restored at
the end whatever happens. Without one, stdin is carried as it is and closed at its end (the v5
protocol can say so), stdout and stderr stay apart. Reading stdin uses the event loop's reader
on the file descriptor rather than a thread: a thread blocked in ``read`` would outlive the
session and steal the next keystroke from the TUI.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import termios
import tty
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from claworc_tui.k8s.podstreams import STDERR, ExecChannel

EOF = b""


@contextlib.contextmanager
def _raw(fd: int) -> Iterator[None]:
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd, termios.TCSANOW)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@contextlib.contextmanager
def _on_resize(callback: Callable[[], None]) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    previous = signal.getsignal(signal.SIGWINCH)

    def handler(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        loop.call_soon_threadsafe(callback)

    signal.signal(signal.SIGWINCH, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGWINCH, previous)


def _stdin_chunks(fd: int) -> tuple[asyncio.Queue[bytes], Callable[[], None]]:
    """A queue of stdin chunks (``EOF`` at the end) and a function that stops reading."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue()

    def readable() -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = EOF
        if not data:
            loop.remove_reader(fd)
        queue.put_nowait(data)

    try:
        loop.add_reader(fd, readable)
    except PermissionError:
        # A regular file (``< input.txt``) cannot be polled, and never blocks: read it whole.
        with open(fd, "rb", closefd=False) as source:
            queue.put_nowait(source.read())
        queue.put_nowait(EOF)
        return queue, lambda: None

    def stop() -> None:
        loop.remove_reader(fd)

    return queue, stop


async def run_terminal(
    channel: ExecChannel,
    *,
    stdin_fd: int | None = None,
    stdout_fd: int | None = None,
    stderr_fd: int | None = None,
) -> int:
    """Carry the terminal (or pipes) to the session until it ends; return its exit code.

    Args:
        channel: The open exec session (with a TTY when stdin is a terminal).
        stdin_fd: Defaults to this process's stdin.
        stdout_fd: Defaults to this process's stdout.
        stderr_fd: Defaults to this process's stderr.

    Returns:
        The command's exit code; 1 when the session ended without one (the error is on
        ``channel.error``).
    """
    fd_in = sys.stdin.fileno() if stdin_fd is None else stdin_fd
    fd_out = sys.stdout.fileno() if stdout_fd is None else stdout_fd
    fd_err = sys.stderr.fileno() if stderr_fd is None else stderr_fd
    interactive = os.isatty(fd_in)
    with contextlib.ExitStack() as stack:
        if interactive:
            stack.enter_context(_raw(fd_in))
            stack.enter_context(_on_resize(lambda: _send_size(channel, fd_out, tasks)))
        tasks: set[asyncio.Task[Any]] = set()
        if interactive:
            _send_size(channel, fd_out, tasks)
        queue, stop_reading = _stdin_chunks(fd_in)
        stack.callback(stop_reading)
        sending = asyncio.create_task(_send_stdin(channel, queue))
        try:
            while (item := await channel.read()) is not None:
                stream, data = item
                os.write(fd_err if stream == STDERR else fd_out, data)
        finally:
            sending.cancel()
            for task in tasks:
                task.cancel()
            await asyncio.gather(sending, *tasks, return_exceptions=True)
    if channel.exit_code is not None:
        return channel.exit_code
    return 1


async def _send_stdin(channel: ExecChannel, queue: asyncio.Queue[bytes]) -> None:
    while data := await queue.get():
        await channel.write(data)
    await channel.close_stdin()


def _send_size(channel: ExecChannel, fd: int, tasks: set[asyncio.Task[Any]]) -> None:
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return
    task = asyncio.get_running_loop().create_task(channel.resize(size.columns, size.lines))
    tasks.add(task)
    task.add_done_callback(tasks.discard)
