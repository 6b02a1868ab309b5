"""``claworc-tui repair [--dry-run] [--delete-orphans]``: the records against the cluster."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from claworc_tui.cli.registry import EXIT_DRIFT, EXIT_FAILED, EXIT_OK, Add, command
from claworc_tui.cli.remedies import command_line
from claworc_tui.models.text import one_line
from claworc_tui.models.wording import plural
from claworc_tui.services.views import DriftItem

if TYPE_CHECKING:
    from claworc_tui.services import Services


def register_repair(add: Add) -> None:
    """Add ``repair`` through the ``add(name, help)`` of ``commands.register``."""
    repair = add("repair", "compare the records with the cluster and repair the differences")
    repair.add_argument("--dry-run", action="store_true", help="only show the differences")
    repair.add_argument("--delete-orphans", action="store_true", help="also delete orphans")


@command("repair")
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
            hint = command_line(args, verb, item.instance)  # for this database and cluster
            print(f"owned elsewhere: {item.instance}: {one_line(item.detail)} -> {hint}")
        return EXIT_OK
    print(
        f"{plural(len(report.items), 'difference')} "
        f"({plural(report.checked, 'instance')} checked):",
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
