"""Scripting subcommands: the same InstanceService the TUI drives, without the TUI.

Exit codes: 0 ok, 1 the operation failed, 2 bad input, 3 ``repair --dry-run`` found drift.
Keys are read from stdin or a hidden prompt, never from argv (argv is visible to every user of
the machine in ``ps``).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError

from claworc_tui.cli.args import add_global_flags
from claworc_tui.cli.output import raw_stdout
from claworc_tui.cli.url import private_hint
from claworc_tui.config import Settings
from claworc_tui.models.errors import (
    ClaworcError,
    InstanceNotFound,
    ValidationFailed,
    from_pydantic,
)
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import (
    CONFIG_MAX_BYTES,
    InstanceSpec,
    Provider,
    Resources,
    Storage,
)
from claworc_tui.models.names import derive_name
from claworc_tui.models.secrets import mask_key
from claworc_tui.models.text import one_line
from claworc_tui.models.wording import plural
from claworc_tui.services import Services, open_services
from claworc_tui.services.errors import OperationFailed, Remedy
from claworc_tui.services.kube_only import INSTEAD, not_on_docker
from claworc_tui.services.runtime import RuntimeKind, choose_runtime
from claworc_tui.services.views import (
    DriftItem,
    InstanceView,
    LogBatch,
    LogOptions,
    LogStreamState,
    StepState,
)

log = logging.getLogger(__name__)
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
#: How long ``ls`` waits for the cluster's pod list before saying it cannot tell the status.
LS_SETTLE_SECONDS = 10.0
#: ``repair --dry-run`` found differences (kept apart from 1, "the check itself failed").
EXIT_DRIFT = 3
Handler = Callable[[Services, argparse.Namespace], Coroutine[Any, Any, int]]
_HANDLERS: dict[str, Handler] = {}


def _command(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _HANDLERS[name] = handler
        return handler

    return register


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
    logs = add("logs", "print an instance's logs")
    logs.add_argument("name", metavar="NAME")
    logs.add_argument("-f", "--follow", action="store_true")
    logs.add_argument("--tail", type=int, default=200, metavar="N")
    logs.add_argument("--previous", action="store_true", help="the previous container's logs")
    logs.add_argument(
        "--raw",
        action="store_true",
        help="write the lines exactly as the pod wrote them, control characters included "
        "(refused when stdout is a terminal; by default they are replaced with U+FFFD)",
    )
    logs.add_argument("--timestamps", action="store_true", help="prefix each line with its time")
    settings = add("settings", "read or change global settings and keys")
    settings.add_argument("action", choices=["get", "set"])
    settings.add_argument("key", nargs="?", metavar="KEY")
    settings.add_argument("value", nargs="?", metavar="VALUE")
    settings.add_argument(
        "--clear",
        action="store_true",
        help="clear KEY (a setting back to its default, a provider key removed); without it, "
        "an empty value or key is refused",
    )
    repair = add("repair", "compare the records with the cluster and repair the differences")
    repair.add_argument("--dry-run", action="store_true", help="only show the differences")
    repair.add_argument("--delete-orphans", action="store_true", help="also delete orphans")
    from claworc_tui.cli import adopt, fleet, reach, url

    for more in (
        url.register_url,
        reach.register_reach,
        adopt.register_adopt,
        fleet.register_fleet,
    ):
        more(add)


def reads_only(args: argparse.Namespace) -> bool:
    """True for the commands that only read: they change nothing, in the database or cluster."""
    if args.command in ("ls", "url", "logs", "export"):
        return True
    if args.command == "settings":
        return bool(args.action == "get")
    return bool(args.command in ("repair", "adopt") and args.dry_run)


DOCKER = RuntimeKind.DOCKER


async def run_command(args: argparse.Namespace, config: Settings) -> int:
    """Open the services, run the chosen subcommand, close; return its exit code.

    Commands that only read open everything read-only and skip the start-up sweep; the others
    run the sweep and say on stderr what it finished.
    """
    if args.command in INSTEAD and choose_runtime(config.runtime, config.kubeconfig) is DOCKER:
        print(f"claworc-tui: {not_on_docker(args.command)}", file=sys.stderr)
        return EXIT_BAD_INPUT  # refused before the engine or the database is opened
    try:
        services = await open_services(config, reads_only=reads_only(args))
    except ClaworcError as exc:
        print(f"claworc-tui: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for line in services.store.warnings:
        print(f"claworc-tui: warning: {line}", file=sys.stderr)
    for line in services.swept:
        print(f"claworc-tui: start-up sweep: {line}", file=sys.stderr)
    try:
        return await _HANDLERS[args.command](services, args)
    except (ValidationFailed, InstanceNotFound) as exc:
        print(f"claworc-tui: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ClaworcError as exc:
        print(f"claworc-tui: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # a bug: say where the details are, never dump a traceback
        log.exception("%s failed", args.command)
        print(
            f"claworc-tui: internal error in {args.command}: {type(exc).__name__} "
            f"(details in {config.log_file})",
            file=sys.stderr,
        )
        return EXIT_FAILED
    finally:
        await services.aclose()


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


@_command("ls")
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


def _read_secret_blocking(prompt: str) -> SecretStr:
    if sys.stdin.isatty():
        return SecretStr(getpass.getpass(prompt).strip())
    return SecretStr(sys.stdin.readline().strip())


async def _read_secret(prompt: str) -> SecretStr:
    """A key from a hidden prompt (terminal) or one line of stdin (scripts)."""
    return await asyncio.to_thread(_read_secret_blocking, prompt)


def _read_config(path: Path) -> str:
    """The text of ``--config``: at most what a ConfigMap holds, UTF-8, read without hanging
    on an endless file (``/dev/zero``).

    Raises:
        ValidationFailed: Unreadable, too large, or not UTF-8 (the message says which).
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(CONFIG_MAX_BYTES + 1)
    except OSError as exc:
        raise ValidationFailed(
            "clawdbot_config", f"--config: cannot read {path}: {exc.strerror}"
        ) from None
    if len(data) > CONFIG_MAX_BYTES:
        raise ValidationFailed(
            "clawdbot_config",
            f"--config: {path} is larger than the 1 MiB a ConfigMap can hold "
            "(clawdbot.json is mounted from one)",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            "clawdbot_config",
            f"--config: {path} is not UTF-8 (byte {exc.start} is {data[exc.start]:#04x}); "
            "clawdbot.json must be UTF-8 JSON",
        ) from None


@_command("create")
async def _create(services: Services, args: argparse.Namespace) -> int:
    defaults = await services.instances.get_settings()
    res = {f: getattr(args, f) for f in Resources.model_fields if getattr(args, f)}
    sto = {
        r: getattr(args, f"storage_{r}")
        for r in Storage.model_fields
        if getattr(args, f"storage_{r}")
    }
    config_text = None if args.config is None else _read_config(args.config)
    keys = {Provider(f"{p}_api_key"): await _read_secret(f"{p} key: ") for p in args.key}
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


@_command("start")
async def _start(services: Services, args: argparse.Namespace) -> int:
    await services.instances.start(args.name)
    print(f"{args.name}: started")
    return EXIT_OK


@_command("stop")
async def _stop(services: Services, args: argparse.Namespace) -> int:
    await services.instances.stop(args.name)
    print(f"{args.name}: stopped (data kept)")
    return EXIT_OK


@_command("restart")
async def _restart(services: Services, args: argparse.Namespace) -> int:
    await services.instances.restart(args.name)
    what = "the container restarts" if services.kube is None else "the pod is being replaced"
    print(f"{args.name}: restarting ({what})")
    return EXIT_OK


_RM_REMEDY = {  # the service says which remedy applies; the CLI names its commands
    Remedy.RETRY: " Run `claworc-tui rm {name}` again to retry.",
    Remedy.FORGET: " Another claworc database owns its objects now: "
    "`claworc-tui forget {name}` drops this record.",
}


@_command("rm")
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
    try:
        async for progress in services.instances.delete(args.name):
            if progress.state is not StepState.RUNNING:
                print(
                    f"[{progress.index}/{progress.total}] {progress.step}: {progress.state.value}",
                    file=sys.stderr,
                )
    except OperationFailed as exc:
        remedy = _RM_REMEDY.get(exc.remedy, "") if exc.remedy else ""
        print(f"claworc-tui: {exc}{remedy.format(name=exc.name)}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.name}: deleted")
    return EXIT_OK


@_command("logs")
async def _logs(services: Services, args: argparse.Namespace) -> int:
    """Print the lines asked for and exit (``-f``: follow across restarts until interrupted)."""
    if args.tail < 0:
        raise ValidationFailed("tail", f"--tail must be 0 or more, not {args.tail}")
    out = raw_stdout() if args.raw else sys.stdout
    if args.raw and out.isatty():
        raise ValidationFailed(
            "raw", "--raw would send the pod's control characters to this terminal: pipe it"
        )
    options = LogOptions(tail_lines=args.tail, previous=args.previous, follow=args.follow)
    async for event in services.instances.follow_logs(args.name, options):
        if isinstance(event, LogBatch):
            if event.dropped:
                print(f"… {event.dropped} lines dropped …", file=sys.stderr)
            text = [line.stamped if args.timestamps else line.text for line in event.lines]
            if text:
                print("\n".join(text), file=out)
            out.flush()
        elif event.state is LogStreamState.FAILED:
            print(f"claworc-tui: log stream failed: {event.detail}", file=sys.stderr)
            return EXIT_FAILED
        elif event.detail and event.state is not LogStreamState.LIVE:
            print(f"claworc-tui: {event.state.value}: {event.detail}", file=sys.stderr)
    return EXIT_OK


_KEY_NAMES = {p.value: p for p in Provider} | {
    p.value.removesuffix("_api_key"): p for p in Provider
}


@_command("settings")
async def _settings(services: Services, args: argparse.Namespace) -> int:
    svc = services.instances
    if args.action == "get":
        flat = await _flat_settings(services)
        if args.key:
            provider = _KEY_NAMES.get(args.key)
            key = provider.value if provider is not None else args.key
            if key not in flat:
                raise ValidationFailed(args.key, f"unknown setting {args.key!r}")
            print(flat[key] if flat[key] is not None else "")
        else:
            for key, value in flat.items():
                print(f"{key} = {'' if value is None else value}")
        return EXIT_OK
    if not args.key:
        raise ValidationFailed("key", "settings set needs a KEY")
    provider = _KEY_NAMES.get(args.key)
    if provider is not None:
        if args.value is not None:
            raise ValidationFailed(
                args.key, "keys are read from stdin or a prompt, never from the command line"
            )
        if args.clear:
            affected = await svc.set_global_key(provider, None)
            print(f"{provider.value} cleared")
        else:
            secret = await _read_secret(f"{provider.label} key: ")
            if not secret.get_secret_value():
                raise ValidationFailed(
                    provider.value,
                    f"no {provider.label} key was given (stdin was empty); nothing changed. "
                    f"To remove the global key: claworc-tui settings set {args.key} --clear",
                )
            affected = await svc.set_global_key(provider, secret)
            print(f"{provider.value} = {mask_key(secret)}")
        if affected:
            print(
                f"{plural(len(affected), 'instance')} inherit it and need a restart to see it: "
                + ", ".join(affected),
                file=sys.stderr,
            )
        return EXIT_OK
    if args.clear:
        if args.value is not None:
            raise ValidationFailed(args.key, "give either a VALUE or --clear, not both")
        await svc.update_settings({args.key: None})
        value = (await _flat_settings(services)).get(args.key)
        print(f"{args.key} cleared; the default is in effect: {'' if value is None else value}")
        return EXIT_OK
    if not args.value:
        raise ValidationFailed(
            args.key,
            f"settings set {args.key} needs a VALUE; nothing changed. To go back to the "
            f"default: claworc-tui settings set {args.key} --clear",
        )
    await svc.update_settings({args.key: args.value})
    value = (await _flat_settings(services)).get(args.key)
    print(f"{args.key} = {'' if value is None else value}")
    return EXIT_OK


async def _flat_settings(services: Services) -> dict[str, Any]:
    """Every setting by the name ``settings get``/``set`` use, keys masked."""
    svc = services.instances
    current = await svc.get_settings()
    flat: dict[str, Any] = {
        **{f"default_{k}": v for k, v in current.default_resources.model_dump().items()},
        **{f"default_storage_{k}": v for k, v in current.default_storage.model_dump().items()},
        "image": current.image,
        "image_pull_secret": current.image_pull_secret,
        "node_host": current.node_host,
        "port_range_start": current.port_range_start,
        "port_range_end": current.port_range_end,
        "default_exposure": current.default_exposure.value,
    }
    for source in await svc.global_key_sources():
        flat[source.provider.value] = source.masked
    return flat


@_command("repair")
async def _repair(services: Services, args: argparse.Namespace) -> int:
    report = await services.instances.drift()
    # Another database's instances are not drift of ours: listed, never acted on.
    if all(i.kind.value == "owned elsewhere" for i in report.items):
        verb = "matches" if report.checked == 1 else "match"
        print(f"no drift: {plural(report.checked, 'instance')} {verb} the cluster")
        for item in report.items:
            if item.instance is None:  # a stray of no record here: listed, left alone
                print(f"owned elsewhere: {item.object}: {one_line(item.detail)} (left alone)")
                continue
            verb = "adopt" if "adopt" in item.repair else "forget"
            hint = f"claworc-tui {verb} {item.instance}"
            print(f"owned elsewhere: {item.instance}: {one_line(item.detail)} -> {hint}")
        return EXIT_OK
    print(
        f"{plural(len(report.items), 'difference')} in {plural(report.checked, 'instance')}:",
        file=sys.stderr,
    )
    print(f"{'KIND':<14} {'INSTANCE':<28} {'OBJECT':<36} DETAIL -> REPAIR")
    for item in report.items:
        target = item.instance or "-"
        detail, repair = one_line(item.detail), one_line(item.repair)
        print(f"{item.kind.value:<14} {target:<28} {item.object:<36} {detail} -> {repair}")
    if args.dry_run:
        return EXIT_DRIFT  # as diff(1): 0 means no differences, so monitoring can alert on it
    # Objects of another claworc database are reported, never repaired or deleted from here.
    wanted = {"orphan"} if args.delete_orphans else set()

    def chosen_of(items: Sequence[DriftItem]) -> list[DriftItem]:
        # A port held by someone else that no record uses needs nothing (new pairs skip it).
        return [
            i
            for i in items
            if (i.kind.value in wanted or i.kind.value not in ("orphan", "owned elsewhere"))
            and not (i.kind.value == "port conflict" and i.instance is None)
        ]

    chosen = chosen_of(report.items)
    result = await services.instances.repair(chosen)
    print(result.summary())
    left = chosen_of((await services.instances.drift()).items)
    print(f"{len(left)} of {len(chosen)} left")
    return EXIT_OK if not left else EXIT_FAILED
