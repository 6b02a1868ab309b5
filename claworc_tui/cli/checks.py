"""Checks of the arguments alone, run right after parsing, before anything is opened.

Bad input is refused with its specific message and exit 2 before a database or a cluster is
opened: a missing cluster or a locked database must not turn "your --image has a space in it"
into exit 1, and a refused command must not create a database folder. Only what can be judged
from the arguments (and the files they name) is checked here; what needs the records — a name
that is taken, a port range that would leave out an instance — is checked by the service.

The import file and the ``--config`` file are read here too, once: a file that cannot be read
or is not what it should be is bad input, and the command then uses what was read
(``args.import_data``, ``args.config_text``). A sealed import file is authenticated and its keys
opened here as well (``args.import_keys``): a wrong passphrase or an edited file is refused
before a database is created.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from claworc_tui.models.errors import ValidationFailed, from_pydantic
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.image import check_image
from claworc_tui.models.instance import (
    CONFIG_MAX_BYTES,
    InstanceSpec,
    Provider,
    Resources,
    Storage,
    validate_clawdbot_config,
)
from claworc_tui.models.names import derive_name, is_valid_object_name
from claworc_tui.models.settings import NODEPORT_MAX, NODEPORT_MIN, PLAIN_KEYS

Check = Callable[[argparse.Namespace], None]
_CHECKS: dict[str, Check] = {}

#: ``settings`` KEY names of the provider keys: ``anthropic`` or ``anthropic_api_key``.
KEY_NAMES = {p.value: p for p in Provider} | {p.value.removesuffix("_api_key"): p for p in Provider}


def check_args(args: argparse.Namespace) -> None:
    """Refuse bad arguments of ``args.command`` (nothing is opened).

    Raises:
        ValidationFailed: Saying which argument is wrong and how.
    """
    if getattr(args, "checked", False):
        return
    for name in _names_of(args):
        check_instance_name(name)
    check = _CHECKS.get(str(args.command))
    if check is not None:
        check(args)
    args.checked = True


def _check(command: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        _CHECKS[command] = check
        return check

    return register


def _names_of(args: argparse.Namespace) -> list[str]:
    """The instance NAMEs given (``clone``'s NEW_NAME is a display name, not one of them)."""
    names = list(getattr(args, "names", None) or [])
    name = getattr(args, "name", None)
    return [*names, name] if isinstance(name, str) else names


def check_instance_name(name: str) -> None:
    """Refuse a NAME no instance can have (instance names are lowercase DNS labels).

    Raises:
        ValidationFailed: Suggesting the name the display name would give.
    """
    if is_valid_object_name(name):
        return
    hint = ""
    try:
        derived = derive_name(name)
    except ValidationFailed:
        derived = None
    if derived is not None and derived != name:
        hint = f" (the instance of display name {name!r} would be {derived})"
    raise ValidationFailed(
        "name",
        f"{name!r} cannot be an instance name: names are lowercase letters, digits and "
        f"hyphens, at most 63 characters{hint}",
    )


def _field_check(model: type[BaseModel], field: str, value: str) -> None:
    """Validate one field of ``model`` alone (no cross-field check against defaults)."""
    info = model.model_fields[field]
    try:
        TypeAdapter(Annotated[str, *info.metadata]).validate_python(value)
    except ValidationError as exc:
        raise from_pydantic(exc) from None


def check_quantity(option: str, value: str) -> None:
    """Check a ``--cpu-limit``/``--storage-chrome``-style value (``option`` without dashes).

    Raises:
        ValidationFailed: Naming the option.
    """
    if option.startswith("storage_"):
        _field_check(Storage, option.removeprefix("storage_"), value)
    else:
        _field_check(Resources, option, value)


def read_config(path: Path) -> str:
    """The text of ``--config``: at most what a ConfigMap holds, UTF-8, a JSON object, read
    without hanging on an endless file (``/dev/zero``).

    Raises:
        ValidationFailed: Unreadable, too large, not UTF-8 or not JSON (the message says which).
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
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            "clawdbot_config",
            f"--config: {path} is not UTF-8 (byte {exc.start} is {data[exc.start]:#04x}); "
            "clawdbot.json must be UTF-8 JSON",
        ) from None
    try:
        validate_clawdbot_config(text)
    except ValueError as exc:
        raise ValidationFailed("clawdbot_config", f"--config: {path}: {exc}") from None
    return text


def check_display_name(display_name: str) -> None:
    """A display name must be valid and give an instance name.

    Raises:
        ValidationFailed: Naming ``display_name``.
    """
    try:
        InstanceSpec(display_name=display_name)
    except ValidationError as exc:
        raise from_pydantic(exc) from None
    derive_name(display_name)


@_check("create")
def _create(args: argparse.Namespace) -> None:
    check_display_name(args.display_name)
    for field in Resources.model_fields:
        if getattr(args, field):
            check_quantity(field, getattr(args, field))
    for role in Storage.model_fields:
        if getattr(args, f"storage_{role}"):
            check_quantity(f"storage_{role}", getattr(args, f"storage_{role}"))
    args.config_text = None if args.config is None else read_config(args.config)


@_check("clone")
def _clone(args: argparse.Namespace) -> None:
    check_display_name(args.display_name)


@_check("redeploy")
def _redeploy(args: argparse.Namespace) -> None:
    if args.image is not None:
        try:
            check_image(args.image, "--image")
        except ValueError as exc:
            raise ValidationFailed("image", str(exc)) from None
    if not args.timeout > 0:
        raise ValidationFailed("timeout", f"--timeout must be more than 0, not {args.timeout:g}")


@_check("logs")
def _logs(args: argparse.Namespace) -> None:
    if args.tail < 0:
        raise ValidationFailed("tail", f"--tail must be 0 or more, not {args.tail}")
    from claworc_tui.cli.output import raw_stdout

    if args.raw and raw_stdout().isatty():
        raise ValidationFailed(
            "raw", "--raw would send the pod's control characters to this terminal: pipe it"
        )


def _check_local_port(port: int | None) -> None:
    # Chrome on N, the terminal on N+1: both must be ports.
    if port is not None and not 1 <= port <= 65534:
        raise ValidationFailed(
            "local_port", f"--local-port must be 1 to 65534 (N and N+1 are used), not {port}"
        )


@_check("url")
def _url(args: argparse.Namespace) -> None:
    if args.local_port is not None and not args.forward:
        raise ValidationFailed("local-port", "--local-port goes with --forward")
    _check_local_port(args.local_port)


@_check("forward")
def _forward(args: argparse.Namespace) -> None:
    _check_local_port(args.local_port)


@_check("export")
def _export(args: argparse.Namespace) -> None:
    if args.passphrase_file is not None and not args.with_keys:
        raise ValidationFailed("passphrase", "--passphrase-file is only for --with-keys")


@_check("import")
def _import(args: argparse.Namespace) -> None:
    from claworc_tui.cli.records import read_import_file, read_passphrase
    from claworc_tui.services import records as records_mod
    from claworc_tui.services.records_seal import open_keys

    file = records_mod.parse(read_import_file(args.file))
    args.import_data = file
    if file.seal is not None:
        # A wrong passphrase or a file changed since its export is bad input too: told before
        # the database is opened (or created).
        passphrase = read_passphrase(args.passphrase_file, confirm=False)
        args.import_keys = open_keys(file, passphrase)


@_check("adopt")
def _adopt(args: argparse.Namespace) -> None:
    if bool(args.names) == args.everything:
        raise ValidationFailed("names", "adopt needs instance NAMEs or --all (not both)")


@_check("settings")
def _settings(args: argparse.Namespace) -> None:
    key, value = args.key, args.value
    if args.action == "get":
        if key and key not in KEY_NAMES and key not in PLAIN_KEYS:
            raise ValidationFailed(key, f"unknown setting {key!r}")
        return
    if not key:
        raise ValidationFailed("key", "settings set needs a KEY")
    if key in KEY_NAMES:
        if value is not None:
            raise ValidationFailed(
                key, "keys are read from stdin or a prompt, never from the command line"
            )
        return
    if key not in PLAIN_KEYS:
        raise ValidationFailed(key, f"unknown setting {key!r}")
    if args.clear:
        if value is not None:
            raise ValidationFailed(key, "give either a VALUE or --clear, not both")
        return
    if not value:
        raise ValidationFailed(
            key,
            f"settings set {key} needs a VALUE; nothing changed. To go back to the "
            f"default: claworc-tui settings set {key} --clear",
        )
    _check_setting_value(key, value)


def _check_setting_value(key: str, value: str) -> None:
    """What one setting's value can be told wrong by itself (the range's two ends together,
    and a range that leaves out an instance, are checked against the database)."""
    checks: dict[str, Callable[[], Any]] = {
        "image": lambda: check_image(value),
        "default_exposure": lambda: Exposure(value),
    }
    if key.startswith("default_") and key != "default_exposure":
        option = key.removeprefix("default_")  # default_storage_chrome: storage_chrome
        try:
            check_quantity(option, value)
        except ValidationFailed as exc:
            raise ValidationFailed(key, exc.message.replace(option, key, 1)) from None
    elif key in ("port_range_start", "port_range_end"):
        if not (value.isascii() and value.isdigit()):
            raise ValidationFailed(key, f'{key} "{value}" is not a port number')
        if not NODEPORT_MIN <= int(value) <= NODEPORT_MAX:
            raise ValidationFailed(
                key, f"{key} {value} is outside the NodePort range {NODEPORT_MIN}-{NODEPORT_MAX}"
            )
    elif key in checks:
        try:
            checks[key]()
        except ValueError as exc:
            message = str(exc)
            raise ValidationFailed(
                key, message if key in message else f"{key}: {message}"
            ) from None
