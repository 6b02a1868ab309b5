"""The Fernet key file: created once with owner-only permissions, never logged."""

from __future__ import annotations

import os
from pathlib import Path

from claworc_tui.crypto.sealing import new_key
from claworc_tui.paths import private_dir


class KeyFileError(Exception):
    """The key file exists but cannot be used."""


def read_key_file(path: Path) -> bytes | None:
    """The key stored at ``path``, or None when there is no file.

    Raises:
        KeyFileError: If the file is unreadable or empty.
    """
    try:
        data = path.read_bytes().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc.strerror}") from None
    if not data:
        raise KeyFileError(f"the key file {path} is empty")
    return data


def check_key_file(path: Path) -> str | None:
    """Check the key file's owner and mode; fix a mode others can read, and say so.

    Returns:
        A warning saying what was fixed, or None when nothing needed fixing (or no file).

    Raises:
        KeyFileError: The file belongs to another user (refused: it is not ours to trust or
            change), or its mode cannot be fixed.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KeyFileError(f"cannot check the key file {path}: {exc.strerror}") from None
    uid = os.getuid()
    if info.st_uid != uid:
        raise KeyFileError(
            f"the key file {path} is owned by uid {info.st_uid}, not by you (uid {uid}): "
            "refusing to use it; copy it to a file of your own (mode 0600) or set "
            "CLAWORC_FERNET_KEY"
        )
    mode = info.st_mode & 0o777
    if not mode & 0o077:
        return None
    try:
        path.chmod(0o600)
    except OSError as exc:
        raise KeyFileError(
            f"the key file {path} is readable by others (mode {mode:04o}) and cannot be "
            f"restricted: {exc.strerror}"
        ) from None
    return (
        f"the key file {path} was readable by group or others (mode {mode:04o}); "
        "its mode is now 0600. Anyone who read it can open the sealed API keys: consider "
        "rotating them."
    )


def create_key_file(path: Path) -> bytes:
    """Write a new key to ``path`` (folder 0700, file 0600) and return it.

    The file is created exclusively, so two processes starting at once cannot both write a key;
    the loser reads the winner's.
    """
    try:
        private_dir(path.parent)
    except OSError as exc:
        raise KeyFileError(f"cannot create the folder {path.parent}: {exc.strerror}") from None
    key = new_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        existing = read_key_file(path)
        if existing is None:  # pragma: no cover - removed between the two calls
            raise KeyFileError(f"the key file {path} vanished while being created") from None
        return existing
    try:
        os.write(fd, key + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    return key
