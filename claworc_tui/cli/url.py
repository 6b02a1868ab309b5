"""``claworc-tui url [--terminal] [--forward [--local-port N]] NAME``: the URL as it is reachable.

A NodePort instance's URL is printed as it always was. A private instance has no URL until a
port-forward exists, so by default ``url`` prints nothing on stdout (a script must not open a
wrong address), says on stderr why, gives the exact ``claworc-tui forward NAME`` command to run
(with the global options this run was given, so it talks to the same database and cluster) and
exits 1. ``--forward`` opens the forward itself — for any instance — prints the URL it reaches
the page at, and keeps forwarding until ctrl-c, as ``forward`` does.

``url`` stays read-only either way: a forward listens on 127.0.0.1 and writes nothing, neither in
the database nor in the cluster.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from claworc_tui.cli.registry import EXIT_FAILED, EXIT_OK, Add, command
from claworc_tui.cli.remedies import command_line
from claworc_tui.models.exposure import Exposure

if TYPE_CHECKING:
    from claworc_tui.services import Services


def register_url(add: Add) -> None:
    """Add ``url`` through the ``add(name, help)`` of :func:`~.commands.register`."""
    url = add(
        "url",
        "print an instance's noVNC URL (Chrome by default); a private instance needs --forward",
    )
    url.add_argument("name", metavar="NAME")
    url.add_argument("--terminal", action="store_true", help="the terminal URL instead")
    url.add_argument(
        "--forward",
        action="store_true",
        help="open a port-forward to the instance, print the URL through it, and keep "
        "forwarding until ctrl-c (how a private instance is reached)",
    )
    url.add_argument(
        "--local-port",
        type=int,
        metavar="N",
        help="with --forward: Chrome on N, terminal on N+1 (default: free ports)",
    )


def forward_command(args: argparse.Namespace, name: str | None = None) -> str:
    """The ``claworc-tui forward NAME`` line for this run's database, cluster and namespace."""
    return command_line(args, "forward", name or str(args.name))


async def private_hint(services: Services, args: argparse.Namespace, name: str) -> str:
    """How to reach private instance ``name``: a port-forward on Kubernetes; on Docker (no
    port-forward there) the container's own address."""
    if services.kube is None:
        return f"{name} is {(await services.instances.urls(name)).chrome}"
    return f"{name} is private; reach it with: {forward_command(args, name)}"


@command("url")
async def _url(services: Services, args: argparse.Namespace) -> int:
    from claworc_tui.cli.reach import forward_until_interrupted

    instance = await services.instances.get(args.name)
    role = "terminal" if args.terminal else "chrome"
    if args.forward:
        return await forward_until_interrupted(
            services, args.name, local_port=args.local_port, roles=(role,)
        )
    if instance.exposure is Exposure.PRIVATE and services.kube is None:
        print(f"claworc-tui: {await private_hint(services, args, instance.name)}", file=sys.stderr)
        return EXIT_FAILED
    if instance.exposure is Exposure.PRIVATE:
        print(
            f"claworc-tui: {instance.name} is private (a ClusterIP Service, no NodePorts): its "
            "pages are reached through a port-forward. Run\n"
            f"  {forward_command(args)}\n"
            "or add --forward to this command to forward and print the URL (until ctrl-c).",
            file=sys.stderr,
        )
        return EXIT_FAILED
    urls = await services.instances.urls(args.name)
    print(urls.terminal if args.terminal else urls.chrome)
    return EXIT_OK
