"""Bookkeeping shared by every operation: per-instance locks, owner ids, the API calls made.

Each operation runs under the instance's lock (a second one is refused, not queued: a user who
presses ``s`` twice should hear "busy", not get two scale calls), records every Kubernetes call it
makes through a context variable (so concurrent operations never mix their calls), and ends with
one activity-log entry.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar

from claworc_tui.db.activity import ActivityRepository
from claworc_tui.models.activity import ApiCall, Outcome
from claworc_tui.models.instance import TRANSITIONAL, Instance
from claworc_tui.services.errors import OperationInProgress, ReadOnlyMode

_calls: ContextVar[list[ApiCall] | None] = ContextVar("claworc_calls", default=None)


def record_call(call: ApiCall) -> None:
    """The transport's ``on_call`` hook: add the call to the running operation, if any."""
    calls = _calls.get()
    if calls is not None:
        calls.append(call)


def owner_id() -> str:
    """``host:pid`` of this process, stored on rows while it works on them."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str | None) -> bool:
    """True if ``owner`` names a process on this host that still runs.

    A row owned by another host is assumed alive: we cannot tell, and finishing another
    machine's operation under it would race with it.
    """
    if not owner or ":" not in owner:
        return False
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname():
        return True
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def refuse_if_busy_elsewhere(instance: Instance) -> None:
    """Refuse an instance another live process is working on (its ``op_owner``, ``host:pid``).

    A transitional row whose owner is gone is fair game: the start-up sweep would finish it
    the same way; this process's own operations are refused by the operation locks.

    Raises:
        OperationInProgress: Another process is running an operation on it.
    """
    owner = instance.op_owner
    if instance.status in TRANSITIONAL and owner != owner_id() and owner_alive(owner):
        step = f" at step {instance.op_step}" if instance.op_step else ""
        raise OperationInProgress(
            instance.name, f"{instance.status.value}{step} (by process {owner})"
        )


class OperationLocks:
    """One running operation per instance in this process."""

    def __init__(self) -> None:
        self._running: dict[str, str] = {}

    def busy(self, name: str) -> str | None:
        """The operation running on ``name``, if any."""
        return self._running.get(name)

    @asynccontextmanager
    async def hold(self, name: str, operation: str) -> AsyncIterator[list[ApiCall]]:
        """Run ``operation`` on ``name``; yields the list its API calls are recorded into.

        Raises:
            OperationInProgress: If another operation on ``name`` is running.
        """
        current = self._running.get(name)
        if current is not None:
            raise OperationInProgress(name, current)
        self._running[name] = operation
        calls: list[ApiCall] = []
        token = _calls.set(calls)
        try:
            yield calls
        finally:
            _calls.reset(token)
            self._running.pop(name, None)


class WriteGuard:
    """What every write shares: the read-only check, the operation locks, the activity log.

    One per composition (see :mod:`claworc_tui.services`), handed to each service that writes,
    so they all refuse the same way and share one lock table.

    Args:
        activity: The activity log.
        read_only_reason: Why writes are refused (``--read-only`` or RBAC), or None.
    """

    def __init__(self, activity: ActivityRepository, read_only_reason: str | None = None) -> None:
        self.activity = activity
        self.read_only_reason = read_only_reason
        self.locks = OperationLocks()

    def require_writable(self, action: str) -> None:
        """Raise :class:`ReadOnlyMode` when writes are not allowed."""
        if self.read_only_reason:
            raise ReadOnlyMode(action, self.read_only_reason)

    async def log_activity(
        self,
        action: str,
        outcome: Outcome,
        instance: str | None,
        detail: str | None,
        calls: Sequence[ApiCall] = (),
    ) -> None:
        """Append one activity entry."""
        await self.activity.append(action, outcome, instance=instance, detail=detail, calls=calls)
