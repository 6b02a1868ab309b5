"""``claworc-tui settings get [KEY]`` and ``settings set KEY [VALUE|--clear]``.

Provider keys are read from stdin or a hidden prompt, never from argv (see ``cli.checks``).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from claworc_tui.cli.checks import KEY_NAMES
from claworc_tui.cli.commands import read_secret
from claworc_tui.cli.registry import EXIT_OK, Add, command
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.secrets import mask_key
from claworc_tui.models.wording import plural

if TYPE_CHECKING:
    from claworc_tui.services import Services


def register_settings(add: Add) -> None:
    """Add ``settings`` through the ``add(name, help)`` of ``commands.register``."""
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


@command("settings")
async def _settings(services: Services, args: argparse.Namespace) -> int:
    svc = services.instances
    if args.action == "get":
        flat = await _flat_settings(services)
        if args.key:
            provider = KEY_NAMES.get(args.key)
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
    provider = KEY_NAMES.get(args.key)
    if provider is not None:
        if args.value is not None:
            raise ValidationFailed(
                args.key, "keys are read from stdin or a prompt, never from the command line"
            )
        if args.clear:
            affected = await svc.set_global_key(provider, None)
            print(f"{provider.value} cleared")
        else:
            secret = await read_secret(f"{provider.label} key: ")
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
