"""Finding the stylesheets from a checkout and from an installed wheel alike.

``styles/`` sits at the top of the repository (outside the package); the wheel maps it to
``claworc_tui/styles`` (hatch ``force-include``). We look inside the package first, then beside it.
"""

from __future__ import annotations

from pathlib import Path

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


def private_dir(path: Path) -> Path:
    """Create ``path`` and every missing parent as owner-only (0700), whatever the umask.

    ``Path.mkdir(mode=0o700, parents=True)`` gives the parents the umask's default (0777 under
    umask 000) and even ``path`` itself loses nothing to the umask only by luck; here every
    folder we create is chmod-ed to 0700 explicitly. Folders that exist are left as they are.

    Raises:
        OSError: A folder cannot be created or restricted.
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
    return path
