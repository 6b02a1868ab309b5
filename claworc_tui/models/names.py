"""Instance names, as the primary spec's "Name Generation" derives them.

The seven steps are followed exactly (lowercase; spaces and underscores to hyphens; drop what is not
alphanumeric or a hyphen; trim hyphens; prefix ``bot-``; truncate; check uniqueness), read the way
the spec's own first example demands: "Bot Alpha" becomes ``bot-alpha``, so step 5 does not add
``bot-`` to a text that already starts with it ("Bot" alone still becomes ``bot-bot``). Only ASCII
letters and digits count as alphanumeric (a Kubernetes name allows nothing else). Two additions
keep every Kubernetes object name valid:

* the longest derived object name (``{name}-clawdbot``, 13 characters longer) must fit in 63
  characters, because the Service name must be a DNS-1035 label and PVC names become label values;
  so the name itself is truncated to 63 - 9 = 54 characters, and
* truncation never leaves a trailing hyphen.
"""

from __future__ import annotations

import re

from claworc_tui.models.errors import ValidationFailed

PREFIX = "bot-"
#: Suffixes appended to the instance name for its Kubernetes objects.
OBJECT_SUFFIXES: tuple[str, ...] = (
    "-clawdbot",
    "-homebrew",
    "-clawd",
    "-chrome",
    "-keys",
    "-config",
    "-vnc",
)
K8S_NAME_LIMIT = 63
MAX_NAME_LENGTH = K8S_NAME_LIMIT - max(len(s) for s in OBJECT_SUFFIXES)
_NOT_ALLOWED = re.compile(r"[^a-z0-9-]")
_DNS_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?", re.ASCII)


def derive_name(display_name: str) -> str:
    """Derive the Kubernetes-safe instance name from a display name.

    Args:
        display_name: What the user typed, e.g. ``"My Test Bot #3"``.

    Returns:
        The instance name, e.g. ``"bot-my-test-bot-3"``.

    Raises:
        ValidationFailed: If nothing usable is left of ``display_name``.
    """
    text = display_name.lower()
    text = text.replace(" ", "-").replace("_", "-")
    text = _NOT_ALLOWED.sub("", text)
    text = text.strip("-")
    if not text:
        raise ValidationFailed(
            "display_name",
            f"display name {display_name!r} has no letters or digits to make a name from",
        )
    if not text.startswith(PREFIX) or text == PREFIX.rstrip("-"):
        text = PREFIX + text
    name = text[:MAX_NAME_LENGTH].rstrip("-")
    return name


def object_names(name: str) -> dict[str, str]:
    """Every Kubernetes object name of an instance, keyed by role."""
    return {
        "deployment": name,
        "pvc_clawdbot": f"{name}-clawdbot",
        "pvc_homebrew": f"{name}-homebrew",
        "pvc_clawd": f"{name}-clawd",
        "pvc_chrome": f"{name}-chrome",
        "secret": f"{name}-keys",
        "configmap": f"{name}-config",
        "service": f"{name}-vnc",
    }


def is_valid_object_name(name: str) -> bool:
    """True when ``name`` is a DNS-1035 label of at most 63 characters."""
    return len(name) <= K8S_NAME_LIMIT and _DNS_LABEL.fullmatch(name) is not None
