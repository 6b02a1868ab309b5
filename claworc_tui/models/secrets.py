"""Showing API keys without revealing them."""

from __future__ import annotations

from pydantic import SecretStr

_MIN_VISIBLE_LENGTH = 16


def mask_key(key: str | SecretStr | None) -> str:
    """Mask an API key for display: ``sk-ant-…9f2c``.

    The known prefix (up to the last ``-`` in the first 8 characters) and the last 4 characters
    stay visible; a key shorter than 16 characters is masked completely, since showing 4 of its
    characters would reveal too much of it.

    Args:
        key: The key, or None when none is set.

    Returns:
        The masked form, or ``"(not set)"``.
    """
    if isinstance(key, SecretStr):
        key = key.get_secret_value()
    if not key:
        return "(not set)"
    if len(key) < _MIN_VISIBLE_LENGTH:
        return "•" * 8
    head = key[:8]
    cut = head.rfind("-")
    prefix = head[: cut + 1] if cut > 0 else ""
    return f"{prefix}…{key[-4:]}"
