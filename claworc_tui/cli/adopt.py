"""``claworc-tui adopt [NAME…|--all] [--dry-run] [--json]``: records rebuilt from the cluster.

Exit codes, the same for a dry run and a real run: 0 everything asked for was adopted (or
would be); 1 something was left out: a conflict (a name or port pair this database uses for
something else, a take-over that met another writer) or, under ``--all``, a refused instance
(not ours, only pieces left, a name that cannot be an instance's); 2 bad input: a NAME that is
not an instance of ours. With NAMEs, one refused name stops the whole command before anything
is written; ``--all`` adopts what it can and reports the rest.

Every field that came from the cluster (display names, owner ids, images, messages) is printed
through :func:`~claworc_tui.models.text.one_line`: a newline in an annotation cannot forge a line
of output.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from claworc_tui.cli.registry import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, Add, command
from claworc_tui.models.text import one_line
from claworc_tui.models.wording import plural
from claworc_tui.services.views import AdoptAction, AdoptCandidate, AdoptPlan

if TYPE_CHECKING:
    from claworc_tui.services import Services


def register_adopt(add: Add) -> None:
    """Add ``adopt`` through the ``add(name, help)`` of :func:`~.commands.register`."""
    adopt = add(
        "adopt",
        "rebuild records from the labelled objects in the cluster (a lost database, or "
        "another operator's instances); conflicts are reported, never overwritten",
    )
    adopt.add_argument("names", nargs="*", metavar="NAME", help="instance names to adopt")
    adopt.add_argument(
        "--all", action="store_true", dest="everything", help="every instance not recorded here"
    )
    adopt.add_argument(
        "--dry-run", action="store_true", help="only show what would be adopted (writes nothing)"
    )
    adopt.add_argument("--json", action="store_true", help="machine-readable output")
    forget = add(
        "forget",
        "drop this database's stale record of an instance another database adopted "
        "(the cluster is not touched)",
    )
    forget.add_argument("name", metavar="NAME")


@command("forget")
async def _forget(services: Services, args: argparse.Namespace) -> int:
    print(f"{one_line(args.name)}: {one_line(await services.instances.forget(args.name))}")
    return EXIT_OK


def _line(c: AdoptCandidate) -> list[str]:
    head = f"{c.action.value:<16} {one_line(c.name):<28} "
    if c.action not in (AdoptAction.ADOPT, AdoptAction.ADOPTED):
        return [head + one_line(c.detail)]
    out = [head + f'"{one_line(c.display_name)}" {one_line(c.detail)} (owner: {one_line(c.owner)})']
    out += [f"{'':<17}key override {one_line(o)}" for o in c.overrides]
    out += [f"{'':<17}note: {one_line(n)}" for n in c.notes]
    return out


def _print(plan: AdoptPlan, as_json: bool) -> None:
    if as_json:
        print(json.dumps([c.model_dump(mode="json") for c in plan.candidates], indent=2))
        return
    for c in plan.candidates:
        for line in _line(c):
            print(line)


@command("adopt")
async def _adopt(services: Services, args: argparse.Namespace) -> int:
    svc = services.instances
    plan = await svc.adopt_plan(args.names, everything=args.everything)
    refused = [c for c in plan.candidates if c.action is AdoptAction.REFUSED]
    if args.names and refused:
        _print(plan, args.json)
        print(
            f"claworc-tui: not adopted: {', '.join(one_line(c.name) for c in refused)} "
            f"({one_line(refused[0].detail)}); nothing was changed",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    wanted = [c for c in plan.candidates if c.action is AdoptAction.ADOPT]
    if args.dry_run or not wanted:
        _print(plan, args.json)
        if not plan.candidates:
            print("nothing to adopt: every labelled instance is recorded here", file=sys.stderr)
        elif args.dry_run:
            print(
                f"dry run: {plural(len(wanted), 'instance')} would be adopted; nothing was changed",
                file=sys.stderr,
            )
        return EXIT_FAILED if plan.failed else EXIT_OK
    done = await svc.adopt(args.names, everything=args.everything)
    _print(done, args.json)
    adopted = [c for c in done.candidates if c.action is AdoptAction.ADOPTED]
    print(f"adopted {plural(len(adopted), 'instance')}", file=sys.stderr)
    return EXIT_FAILED if done.failed else EXIT_OK
