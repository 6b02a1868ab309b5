"""``claworc-tui shell NAME [-- CMD…]`` and ``claworc-tui forward NAME [--local-port N]``."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from claworc_tui.cli.registry import Add, command
from claworc_tui.models.exposure import Exposure

if TYPE_CHECKING:
    from claworc_tui.services import Services
    from claworc_tui.services.reach import ReachService

# The reach services (port-forward, exec) are imported where a command runs, not here: this
# module is loaded whenever the parser is built (also for the full-screen app), and they bring
# the WebSocket client and aiohttp (issue 17, launch).


class _AfterDashes(argparse.Action):
    """The command after ``--``; anything else after NAME is refused (exit 2) before any work.

    argparse drops the ``--`` (Python 3.11) or keeps it (later), and REMAINDER also swallows
    flags put after NAME, so argv tells the two apart.
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        words = [str(v) for v in values or []]
        if words and "--" not in sys.argv[1:]:
            parser.error(
                f"unexpected {words[0]!r} after NAME: flags go before NAME and a command "
                "after --, as in: claworc-tui shell [flags] NAME -- CMD"
            )
        setattr(namespace, self.dest, words[1:] if words[:1] == ["--"] else words)


def register_reach(add: Add) -> None:
    """Add ``shell`` and ``forward`` through the ``add(name, help)`` of :func:`register`."""
    shell = add("shell", "open a shell (bash, else sh) in an instance's container, or run CMD")
    shell.add_argument("name", metavar="NAME")
    shell.add_argument(
        "cmd",
        nargs=argparse.REMAINDER,
        action=_AfterDashes,
        metavar="-- CMD",
        help="a command to run instead of the shell (flags go before NAME)",
    )
    forward = add(
        "forward",
        "forward 127.0.0.1 ports to an instance's noVNC ports until interrupted (ctrl-c)",
    )
    forward.add_argument("name", metavar="NAME")
    forward.add_argument(
        "--local-port",
        type=int,
        metavar="N",
        help="Chrome on N, terminal on N+1 (default: free ports)",
    )
    expose = add("expose", "make an instance private (ClusterIP) or NodePort again, no restart")
    expose.add_argument("name", metavar="NAME")
    expose.add_argument("exposure", choices=[e.value for e in Exposure])


def _reach(services: Services) -> ReachService:
    assert services.reach is not None
    return services.reach


@command("shell")
async def _shell(services: Services, args: argparse.Namespace) -> int:
    from claworc_tui.services.terminal import run_terminal

    cmd = list(args.cmd)
    interactive = sys.stdin.isatty()
    async with _reach(services).shell(args.name, cmd or None, tty=interactive) as channel:
        code = await run_terminal(channel)
    if channel.error:
        print(f"claworc-tui: {channel.error}", file=sys.stderr)
    return code


@command("expose")
async def _expose(services: Services, args: argparse.Namespace) -> int:
    instance = await _reach(services).set_exposure(args.name, Exposure(args.exposure))
    print(f"{instance.name} exposure = {instance.exposure.value}")
    return 0


@command("forward")
async def _forward(services: Services, args: argparse.Namespace) -> int:
    return await forward_until_interrupted(services, args.name, local_port=args.local_port)


async def forward_until_interrupted(
    services: Services,
    name: str,
    *,
    local_port: int | None = None,
    roles: tuple[str, ...] = ("chrome", "terminal"),
) -> int:
    """Forward both noVNC ports of ``name``, print the URLs of ``roles`` (``role URL`` lines, or
    the bare URL when one is asked for), and keep forwarding until SIGINT/SIGTERM."""
    from claworc_tui.services.forwards import ssh_hint

    reach = _reach(services)
    forwards = await reach.forward(name, local_port=local_port)
    for fwd in forwards:
        if fwd.role in roles:
            print(fwd.url if len(roles) == 1 else f"{fwd.role:<9} {fwd.url}")
    print(f"from your own machine: {ssh_hint(forwards)}", file=sys.stderr)
    print("forwarding; ctrl-c stops", file=sys.stderr)
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await reach.stop_forwards(name)
    return 0
