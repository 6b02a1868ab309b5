"""Scripting subcommands: the same InstanceService the TUI drives, without the TUI.

This module builds every subcommand's parser (:func:`register`, each group in its own module:
``logs``, ``settings_cmd``, ``repair``, ``url``, ``reach``, ``adopt``, ``fleet``, ``records``)
and holds the instance basics: ``ls``, ``create``, ``start``/``stop``/``restart``, ``rm``.
They run through :mod:`claworc_tui.cli.registry`. Keys are read from stdin or a hidden prompt,
never from argv (argv is visible to every user of the machine in ``ps``).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr, ValidationError

from claworc_tui.cli.args import add_global_flags
from claworc_tui.cli.registry import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, command
from claworc_tui.cli.url import private_hint
from claworc_tui.models.errors import (
    from_pydantic,
)
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import (
    InstanceSpec,
    Provider,
    Resources,
    Storage,
)
from claworc_tui.models.names import derive_name
from claworc_tui.services.views import (
    InstanceView,
    StepState,
)

if TYPE_CHECKING:
    from claworc_tui.services import Services

#: How long ``ls`` waits for the cluster's pod list before saying it cannot tell the status.
LS_SETTLE_SECONDS = 10.0


def register(sub: Any) -> None:
    """Add every subcommand to the ``sub`` parsers object."""

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(
            name, help=help_text, description=help_text
        )
        add_global_flags(parser)
        return parser

    ls = add("ls", "list instances with their live status")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    create = add("create", "create an instance (display name; the name is derived from it)")
    create.add_argument("display_name", metavar="NAME")
    for field in ("cpu_request", "cpu_limit", "memory_request", "memory_limit"):
        create.add_argument(f"--{field.replace('_', '-')}", dest=field, metavar="Q")
    for role in ("clawdbot", "homebrew", "clawd", "chrome"):
        create.add_argument(f"--storage-{role}", dest=f"storage_{role}", metavar="SIZE")
    create.add_argument("--config", type=Path, metavar="FILE", help="clawdbot.json to mount")
    create.add_argument(
        "--key",
        action="append",
        default=[],
        choices=["anthropic", "openai", "brave"],
        help="read an override key for this provider from stdin (one line each, in order)",
    )
    for verb, text in (
        ("start", "start an instance (replicas 1)"),
        ("stop", "stop an instance (replicas 0; data kept)"),
        ("restart", "restart an instance (the pod is replaced)"),
    ):
        add(verb, text).add_argument("name", metavar="NAME")
    rm = add("rm", "delete an instance and every object it has, data included")
    rm.add_argument("name", metavar="NAME")
    rm.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    from claworc_tui.cli import adopt, fleet, logs, reach, records, repair, settings_cmd, url

    for more in (
        logs.register_logs,
        settings_cmd.register_settings,
        repair.register_repair,
        url.register_url,
        reach.register_reach,
        adopt.register_adopt,
        fleet.register_fleet,
        records.register_records,
    ):
        more(add)


def _row(view: InstanceView) -> dict[str, Any]:
    inst = view.instance
    return {
        "name": inst.name,
        "display_name": inst.display_name,
        "status": view.status,
        "ready": view.ready,
        "restarts": view.restarts,
        "reason": view.reason,
        "nodeport_chrome": inst.nodeport_chrome,
        "nodeport_terminal": inst.nodeport_terminal,
        "exposure": inst.exposure.value,
        "cpu_limit": inst.resources.cpu_limit,
        "memory_limit": inst.resources.memory_limit,
        "created_at": inst.created_at.isoformat(),
    }


@command("ls")
async def _ls(services: Services, args: argparse.Namespace) -> int:
    # The live status or nothing: a table of records without it would claim "Pending".
    views = await services.instances.list_views(settle=LS_SETTLE_SECONDS)
    if args.json:
        print(json.dumps([_row(v) for v in views], indent=2))
        return EXIT_OK
    header = f"{'NAME':<28} {'STATUS':<30} {'READY':<6} {'RESTARTS':<9} {'PORTS':<12}"
    print(header)
    for v in views:
        pair = v.instance.node_ports
        ports = "private" if pair is None else f"{pair[0]},{pair[1]}"
        print(f"{v.name:<28} {v.status:<30} {v.ready_text:<6} {v.restarts:<9} {ports:<12}")
    return EXIT_OK


def read_secret_blocking(prompt: str) -> SecretStr:
    if sys.stdin.isatty():
        return SecretStr(getpass.getpass(prompt).strip())
    return SecretStr(sys.stdin.readline().strip())


async def read_secret(prompt: str) -> SecretStr:
    """A key from a hidden prompt (terminal) or one line of stdin (scripts)."""
    return await asyncio.to_thread(read_secret_blocking, prompt)


@command("create")
async def _create(services: Services, args: argparse.Namespace) -> int:
    defaults = await services.instances.get_settings()
    res = {f: getattr(args, f) for f in Resources.model_fields if getattr(args, f)}
    sto = {
        r: getattr(args, f"storage_{r}")
        for r in Storage.model_fields
        if getattr(args, f"storage_{r}")
    }
    config_text = args.config_text  # read (and checked) by cli.checks
    keys = {Provider(f"{p}_api_key"): await read_secret(f"{p} key: ") for p in args.key}
    try:
        spec = InstanceSpec(
            display_name=args.display_name,
            resources=Resources(**{**defaults.default_resources.model_dump(), **res}),
            storage=Storage(**{**defaults.default_storage.model_dump(), **sto}),
            clawdbot_config=config_text,
            api_keys=keys,
        )
    except ValidationError as exc:
        raise from_pydantic(exc) from None
    async for progress in services.instances.create(spec):
        if progress.state is not StepState.RUNNING:
            mark = "ok" if progress.state is StepState.DONE else progress.state.value
            print(f"[{progress.index}/{progress.total}] {progress.step}: {mark}", file=sys.stderr)
    name = derive_name(spec.display_name)
    if (await services.instances.get(name)).exposure is Exposure.PRIVATE:
        # No URL to print: say how to reach it (stdout stays for URLs only).
        print(await private_hint(services, args, name), file=sys.stderr)
        return EXIT_OK
    print((await services.instances.urls(name)).chrome)
    return EXIT_OK


@command("start")
async def _start(services: Services, args: argparse.Namespace) -> int:
    await services.instances.start(args.name)
    print(f"{args.name}: started")
    return EXIT_OK


@command("stop")
async def _stop(services: Services, args: argparse.Namespace) -> int:
    await services.instances.stop(args.name)
    print(f"{args.name}: stopped (data kept)")
    return EXIT_OK


@command("restart")
async def _restart(services: Services, args: argparse.Namespace) -> int:
    await services.instances.restart(args.name)
    what = "the container restarts" if services.kube is None else "the pod is being replaced"
    print(f"{args.name}: restarting ({what})")
    return EXIT_OK


@command("rm")
async def _rm(services: Services, args: argparse.Namespace) -> int:
    plan = await services.instances.delete_plan(args.name)
    if not args.yes:
        print(f"This deletes {args.name} and every object it has:", file=sys.stderr)
        for row in plan:
            print(f"  {row.kind:<22} {row.name:<36} {row.state}", file=sys.stderr)
        holders = "PVCs" if services.kube is not None else "volumes"  # Docker: named volumes
        print(
            f"The four {holders} hold the instance's data; it cannot be recovered.", file=sys.stderr
        )
        if not sys.stdin.isatty():
            print("claworc-tui: refusing without --yes (stdin is not a terminal)", file=sys.stderr)
            return EXIT_BAD_INPUT
        answer = await asyncio.to_thread(input, f"Type {args.name} to delete it: ")
        if answer.strip() != args.name:
            print("claworc-tui: not deleted", file=sys.stderr)
            return EXIT_FAILED
    # A failure is printed by the registry with its remedy (retry, or forget), exit code 1.
    async for progress in services.instances.delete(args.name):
        if progress.state is not StepState.RUNNING:
            print(
                f"[{progress.index}/{progress.total}] {progress.step}: {progress.state.value}",
                file=sys.stderr,
            )
    print(f"{args.name}: deleted")
    return EXIT_OK
