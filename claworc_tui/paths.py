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
