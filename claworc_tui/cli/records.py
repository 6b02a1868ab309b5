"""``claworc-tui export [NAME…] [--with-keys]`` and ``claworc-tui import FILE``.

The passphrase that seals an export's keys is never an argument (argv is visible in ``ps``): it
comes from ``--passphrase-file PATH`` (its first line), the ``CLAWORC_EXPORT_PASSPHRASE``
environment variable, or a hidden prompt on the terminal (asked twice for an export).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from claworc_tui.cli.registry import Add, command
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.wording import plural

if TYPE_CHECKING:
    from claworc_tui.services import Services

# The file format, the sealing and the service are imported by the commands themselves: every
# start of the app builds this parser, and most never export anything.

PASSPHRASE_ENV = "CLAWORC_EXPORT_PASSPHRASE"
MIN_PASSPHRASE = 8


def register_records(add: Add) -> None:
    """Add ``export`` and ``import`` through the ``add(name, help)`` of ``commands.register``."""
    export = add(
        "export",
        "write instance records as JSON to stdout (only reads; keys are left out unless "
        "--with-keys, which seals them with a passphrase)",
    )
    export.add_argument("names", nargs="*", metavar="NAME", help="instances (default: all)")
    export.add_argument(
        "--with-keys",
        action="store_true",
        help="include the per-instance key overrides, sealed with a passphrase "
        "(scrypt + AES-256-GCM; never in plain text)",
    )
    imp = add(
        "import",
        "create the records of an export file (all or none; no cluster object is created: "
        "run repair afterwards)",
    )
    imp.add_argument("file", metavar="FILE", help="an export file, or - for stdin")
    for parser in (export, imp):
        parser.add_argument(
            "--passphrase-file",
            type=Path,
            metavar="PATH",
            help=f"read the passphrase from the first line of PATH (else ${PASSPHRASE_ENV}, "
            "else a hidden prompt)",
        )


def read_passphrase(path: Path | None, *, confirm: bool) -> SecretStr:
    """The passphrase from the file, the environment or the terminal.

    Raises:
        ValidationFailed: None of them gives one, or it is empty.
    """
    if path is not None:
        try:
            with path.open("rb") as handle:
                first = handle.read(4096).split(b"\n", 1)[0].rstrip(b"\r")
            text = first.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationFailed(
                "passphrase", f"--passphrase-file: cannot read {path}: {exc}"
            ) from None
    elif os.environ.get(PASSPHRASE_ENV):
        text = os.environ[PASSPHRASE_ENV]
    elif sys.stdin.isatty():
        text = getpass.getpass("Passphrase: ")
        if confirm and getpass.getpass("Passphrase again: ") != text:
            raise ValidationFailed("passphrase", "the two passphrases differ; nothing was written")
    else:
        raise ValidationFailed(
            "passphrase",
            f"no passphrase: give --passphrase-file PATH or set {PASSPHRASE_ENV} "
            "(stdin is not a terminal to ask on)",
        )
    if not text:
        raise ValidationFailed("passphrase", "the passphrase is empty")
    return SecretStr(text)


@command("export")
async def _export(services: Services, args: argparse.Namespace) -> int:
    from claworc_tui.crypto.passphrase import PassphraseSeal
    from claworc_tui.services import records as records_mod

    seal = None
    if args.with_keys:
        passphrase = await asyncio.to_thread(read_passphrase, args.passphrase_file, confirm=True)
        if len(passphrase.get_secret_value()) < MIN_PASSPHRASE:
            raise ValidationFailed(
                "passphrase", f"the passphrase must have at least {MIN_PASSPHRASE} characters"
            )
        seal = await asyncio.to_thread(PassphraseSeal.new, passphrase)
    file = await services.instances.records.export_records(args.names, seal)
    print(records_mod.dump(file))
    keys = "keys sealed" if seal is not None else "keys left out"
    print(f"exported {plural(len(file.instances), 'record')} ({keys})", file=sys.stderr)
    configs = [r.name for r in file.instances if r.clawdbot_config]
    if configs:
        # Only the API key overrides are sealed: a clawdbot.json travels as it is, and bots
        # keep channel tokens (Slack, Telegram …) there.
        shown = ", ".join(configs[:10]) + (f" and {len(configs) - 10} more" if configs[10:] else "")
        print(
            f"claworc-tui: warning: clawdbot.json is included ({shown}): it may hold tokens, "
            "and it is not encrypted (--with-keys seals the API keys only); keep the file "
            "private",
            file=sys.stderr,
        )
    return 0


def read_import_file(name: str) -> bytes:
    """The bytes of ``import FILE`` (``-``: stdin), at most what an export can hold.

    Raises:
        ValidationFailed: Unreadable or too large.
    """
    from claworc_tui.models.records import MAX_FILE_BYTES

    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            with open(name, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ValidationFailed("file", f"cannot read {name}: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ValidationFailed("file", f"{name} is larger than {MAX_FILE_BYTES} bytes")
    return data


@command("import")
async def _import(services: Services, args: argparse.Namespace) -> int:
    from claworc_tui.services import records as records_mod

    services.instances.require_writable("import records")
    file = getattr(args, "import_data", None)  # read and parsed by cli.checks
    if file is None:
        file = records_mod.parse(await asyncio.to_thread(read_import_file, args.file))
    opened = getattr(args, "import_keys", None)  # opened (and the file checked) by cli.checks
    passphrase = None
    if file.seal is not None and opened is None:
        passphrase = await asyncio.to_thread(read_passphrase, args.passphrase_file, confirm=False)
    result = await services.instances.records.import_records(file, passphrase, opened=opened)
    for warning in result.warnings:
        print(f"claworc-tui: warning: {warning}", file=sys.stderr)
    for name in result.names:
        print(name)
    print(
        f"imported {plural(len(result.names), 'record')}; no cluster object was created or "
        "changed. `claworc-tui repair --dry-run` shows what the cluster lacks, "
        "`claworc-tui repair` creates it.",
        file=sys.stderr,
    )
    if result.without_keys:
        print(
            "the file left out the key overrides of "
            + ", ".join(result.without_keys)
            + ": they use the global keys until you set theirs again (in the app: the "
            "instance's keys)",
            file=sys.stderr,
        )
    return 0
