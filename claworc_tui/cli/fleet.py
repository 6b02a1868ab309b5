"""``claworc-tui clone NAME "New Name"`` and ``claworc-tui redeploy NAME… [--image REF]``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from claworc_tui.cli.registry import Add, command
from claworc_tui.cli.url import private_hint
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.names import derive_name
from claworc_tui.services.redeploy import ROLLOUT_TIMEOUT, check_image_arg
from claworc_tui.services.views import Progress, StepState

if TYPE_CHECKING:
    from claworc_tui.services import Services


def register_fleet(add: Add) -> None:
    """Add ``clone`` and ``redeploy`` through the ``add(name, help)`` of ``commands.register``."""
    clone = add(
        "clone",
        "create a new instance with the resources, storage sizes, clawdbot.json, image and key "
        "overrides and exposure of NAME (a private instance gives a private clone; new ports "
        "for a NodePort one; empty volumes: the data is not copied)",
    )
    clone.add_argument("name", metavar="NAME", help="the instance to copy")
    clone.add_argument("display_name", metavar="NEW_NAME", help="display name of the clone")
    redeploy = add(
        "redeploy",
        "set the image (or pull the same tag again) and replace the pod; the data stays",
    )
    redeploy.add_argument("names", nargs="+", metavar="NAME", help="one or more instances")
    redeploy.add_argument(
        "--image",
        metavar="REF",
        help="the new image, e.g. glukw/openclaw-vnc-chrome:1.2 (stored in the record); "
        "default: the current image, pulled again",
    )
    redeploy.add_argument(
        "--no-wait", action="store_true", help="do not wait for the new pod to be ready"
    )
    redeploy.add_argument(
        "--timeout",
        type=float,
        default=ROLLOUT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for the new pod to be ready (default {ROLLOUT_TIMEOUT:g})",
    )


def _print_step(progress: Progress, prefix: str = "") -> None:
    if progress.state is StepState.RUNNING:
        return
    mark = "ok" if progress.state is StepState.DONE else progress.state.value
    detail = f" ({progress.detail})" if progress.detail else ""
    print(
        f"{prefix}[{progress.index}/{progress.total}] {progress.step}: {mark}{detail}",
        file=sys.stderr,
    )


@command("clone")
async def _clone(services: Services, args: argparse.Namespace) -> int:
    svc = services.instances
    svc.require_writable("clone an instance")
    spec = await svc.clone_spec(args.name, args.display_name)
    print(f"cloning {args.name}: {await svc.clone_note(args.name)}", file=sys.stderr)
    async for progress in svc.clone(args.name, spec):
        _print_step(progress)
    name = derive_name(spec.display_name)
    if (await svc.get(name)).exposure is Exposure.PRIVATE:
        # As create says it: no URL to print (stdout is for URLs only), how to reach it instead.
        print(await private_hint(services, args, name), file=sys.stderr)
        return 0
    urls = await svc.urls(name)
    print(urls.chrome)
    return 0


@command("redeploy")
async def _redeploy(services: Services, args: argparse.Namespace) -> int:
    check_image_arg(args.image)  # checked at parsing (cli.checks); the service checks too
    names = list(dict.fromkeys(args.names))
    async for progress in services.instances.redeploy(
        names, args.image, wait=not args.no_wait, ready_within=args.timeout
    ):
        _print_step(progress)
    for name in names:
        instance = await services.instances.get(name)
        image = instance.image or (await services.instances.get_settings()).image
        print(f"{name}: redeployed ({image})")
    return 0
