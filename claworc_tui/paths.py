"""Finding the stylesheets from a checkout and from an installed wheel alike.

``styles/`` sits at the top of the repository (outside the package); the wheel maps it to
``claworc_tui/styles`` (hatch ``force-include``). We look inside the package first, then beside it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path

from claworc_tui.models.errors import ClaworcError

_PACKAGE = Path(__file__).resolve().parent


def styles_dir() -> Path:
    """The folder holding ``app.tcss`` and friends.

    Raises:
        FileNotFoundError: If neither location has the stylesheets (a broken install).
    """
    for candidate in (_PACKAGE / "styles", _PACKAGE.parent / "styles"):
        if (candidate / "app.tcss").is_file():
            return candidate
    raise FileNotFoundError(
        f"the stylesheets are missing: looked in {_PACKAGE / 'styles'} and "
        f"{_PACKAGE.parent / 'styles'}"
    )


def stylesheet(name: str) -> Path:
    """The path of one stylesheet, e.g. ``stylesheet("app.tcss")``."""
    return styles_dir() / name


def private_dir(path: Path, *, strict_from: Path | None = None) -> Path:
    """Create ``path`` and every missing parent as owner-only (0700), whatever the umask.

    ``Path.mkdir(mode=0o700, parents=True)`` gives the parents the umask's default (0777 under
    umask 000) and even ``path`` itself loses nothing to the umask only by luck; here every
    folder we create is chmod-ed to 0700 explicitly. Folders that exist are left as they are.

    With ``strict_from`` (a folder at or above ``path``), every level from it down to ``path``
    must also be a real folder (not a symlink), owned by us and 0700, whether we made it or
    found it: a folder planted by someone else (``/tmp/docker`` is anyone's to make) is refused.

    Raises:
        OSError: A folder cannot be created or restricted.
        UnsafeFolder: ``strict_from`` was given and a level is not ours alone.
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue  # another process created it meanwhile: not ours to change
        folder.chmod(0o700)
    if strict_from is not None:
        levels = [path, *path.parents]
        for level in levels[: levels.index(strict_from) + 1]:
            check_private(level)
    return path


class UnsafeFolder(ClaworcError, OSError):
    """A folder that holds secrets is not ours alone (a symlink, another user's, too open).

    A :class:`ClaworcError` (the user is told what to do) and an ``OSError`` (callers that
    handle a folder that cannot be used keep doing so)."""


def check_private(folder: Path) -> None:
    """Raise :class:`UnsafeFolder` unless ``folder`` is a real folder, ours, mode 0700."""
    info = folder.lstat()
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeFolder(f"{folder} is a symlink; refusing to keep secrets through it")
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFolder(f"{folder} is not a folder")
    if info.st_uid != os.getuid():
        raise UnsafeFolder(
            f"{folder} belongs to uid {info.st_uid}, not to us ({os.getuid()}); "
            "refusing to keep secrets there (use a --db in a folder of your own)"
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        raise UnsafeFolder(
            f"{folder} has mode {stat.S_IMODE(info.st_mode):o}, not 700; "
            f"refusing to keep secrets there (`chmod 700 {folder}` if it is yours)"
        )


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner may read (0600 from the first byte).

    The temporary file is made with O_EXCL|O_NOFOLLOW: a symlink planted in its place is
    removed (never followed), so the secret can only land in a file we just created.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()  # a stale one (ours, or a planted link: unlink never follows)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def remove_private(folder: Path) -> bool:
    """Remove a private folder and what is in it; False when it was not there.

    Raises:
        UnsafeFolder: ``folder`` is a symlink (never followed, never removed for the user).
    """
    try:
        info = folder.lstat()
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeFolder(f"{folder} is a symlink, not the folder claworc made; remove it by hand")
    shutil.rmtree(folder)
    return True
