"""The remedies the services name (:mod:`claworc_tui.models.remedy`), worded for the TUI: the
key or screen that does it (the README's key table). Where the app has no way to do it (forget),
it says so and what does. The CLI words the same remedies as commands (``cli/remedies.py``).
"""

from __future__ import annotations

from claworc_tui.models.remedy import Advice, Remedy

#: Each remedy as a sentence for this app (``{name}``, ``{image}`` filled in).
_SAID: dict[Remedy, str] = {
    Remedy.RETRY: "Try it again.",
    Remedy.FORGET: (
        "Another claworc database owns its objects now: this record is stale. The app cannot "
        "drop it; the command line's forget does (claworc-tui forget {name})."
    ),
    Remedy.ADOPT: "To adopt it here: d (Drift), select {name}, then a.",
    Remedy.FINISH_ADOPT: "To finish a half-done adopt: d (Drift), select {name}, then a.",
    Remedy.DELETE: "D on {name} in the list deletes it instead.",
    Remedy.REDEPLOY: "U (Redeploy) on {name} with the image {image} goes back to it.",
    Remedy.WIDEN_PORTS: "To widen the NodePort range: , (Settings), the NodePort range fields.",
    Remedy.OPEN_URL: "c on {name} copies its Chrome URL, t its terminal URL.",
}


def advice_line(advice: Advice, operation: str | None = None) -> str:
    """One remedy as a sentence (a retry of a delete is D again)."""
    if advice.remedy is Remedy.RETRY and operation == "delete":
        return "Press D again to retry."
    return _SAID[advice.remedy].format(
        name=advice.name or "the instance", image=advice.image or "it ran before"
    )


def advice_text(error: BaseException) -> str:
    """The remedies ``error`` carries, as sentences after a space ("" when it carries none)."""
    operation = getattr(error, "operation", None)
    advice = getattr(error, "advice", ())
    return "".join(f" {advice_line(a, operation)}" for a in advice)


def said(error: BaseException) -> str:
    """``error`` for the screen: its message, then what to do about it."""
    text = str(error) or type(error).__name__
    more = advice_text(error)
    if more and not text.endswith("."):
        text += "."
    return text + more
