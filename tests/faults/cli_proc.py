"""Run ``claworc-tui`` as a real subprocess from async tests (the emulator keeps serving)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence

from claworc_tui.config import Settings


def env_for(key: str) -> dict[str, str]:
    """The environment for a child: the test's, plus the Fernet key."""
    return {**os.environ, "CLAWORC_FERNET_KEY": key}


async def spawn(
    config: Settings, key: str, *args: str, stdin: bool = False
) -> asyncio.subprocess.Process:
    """Start ``python -m claworc_tui ARGS`` against ``config``'s database and cluster."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "claworc_tui",
        *args,
        "--db",
        str(config.db),
        "--kubeconfig",
        str(config.kubeconfig),
        "-n",
        config.namespace,
        stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env_for(key),
    )


async def finished(
    proc: asyncio.subprocess.Process, argv: Sequence[str], *, stdin: str = "", within: float = 30
) -> tuple[int, str, str]:
    """Feed ``stdin`` to a child started with a stdin pipe and wait for it to exit.

    Returns:
        (exit code, stdout, stderr).

    Raises:
        AssertionError: The child still ran after ``within`` seconds (it is killed; the message
            ends with its stderr, ``argv`` naming the command).
    """
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=within)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        raise AssertionError(f"claworc-tui {' '.join(argv)} hung: {err.decode()[-3000:]}") from None
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
