"""The Fernet key file: created once with owner-only permissions, never logged."""

from __future__ import annotations

import os
from pathlib import Path

from claworc_tui.crypto.sealing import new_key


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


def create_key_file(path: Path) -> bytes:
    """Write a new key to ``path`` (folder 0700, file 0600) and return it.

    The file is created exclusively, so two processes starting at once cannot both write a key;
    the loser reads the winner's.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
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
