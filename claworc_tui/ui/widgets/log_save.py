"""Saving the log pane's lines to a file: the default name, asking before a replace, the toasts."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from textual.widget import Widget

from claworc_tui.services.savefile import default_logs_dir, save_text
from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.text import toast


def default_save_path(name: str | None, now: datetime) -> Path:
    """Where the save prompt proposes to write: the logs folder, instance and time in the name."""
    return default_logs_dir() / f"{name or 'logs'}-{now:%Y%m%d-%H%M%S}.log"


async def save_log_lines(owner: Widget, path: Path, lines: list[str]) -> None:
    """Write ``lines`` to ``path``, saying how it went in a toast from ``owner``.

    A new 0600 file; a name that exists (a file or a link) is replaced only after asking,
    and a link is replaced itself, never followed (see :func:`save_text`).
    """
    text = "\n".join(lines) + ("\n" if lines else "")
    try:
        try:
            await asyncio.to_thread(save_text, path, text)
        except FileExistsError:
            replace = await owner.app.push_screen_wait(
                ConfirmModal(
                    f"Replace {path.name}?",
                    f"{path} exists. Replace it with the log lines? (A link is "
                    "replaced itself; what it points to is left alone.)",
                    "Replace",
                    danger=True,
                )
            )
            if not replace:
                toast(owner, f"not saved: {path} exists", timeout=4)
                return
            await asyncio.to_thread(save_text, path, text, replace=True)
    except OSError as exc:
        toast(owner, f"could not save {path}: {exc.strerror or exc}", severity="error")
        return
    toast(owner, f"saved {len(lines)} lines to {path}", title="Logs saved")
