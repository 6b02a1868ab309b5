"""Words shown to people: counts with the right plural form (``1 line``, ``2 lines``)."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun`` in the form the count takes.

    Args:
        count: How many.
        noun: The singular (``instance``).
        many: The plural when it is not ``noun + "s"`` (``differences`` is regular; ``entries``
            is not).

    Returns:
        ``1 instance``, ``0 instances``, ``3 instances``.
    """
    return f"{count} {noun if count == 1 else (many or noun + 's')}"
