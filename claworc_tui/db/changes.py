"""The records' change feed: every write to the instance table, by this process or another.

Writes through this process's repository publish the names they changed as they commit. Writes
by another process (the CLI, a second TUI) are seen through SQLite's ``PRAGMA data_version``, a
per-connection counter that moves exactly when another connection committed; it is read a few
times a second while anyone subscribes, and a move publishes "everything may have changed".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress

from claworc_tui.db.database import Database

log = logging.getLogger(__name__)

#: Called with the names that changed, or None for "any of them may have" (another writer).
Subscriber = Callable[[frozenset[str] | None], Awaitable[None]]
#: Seconds between two reads of ``PRAGMA data_version``: other writers show within this.
POLL_SECONDS = 0.4


class ChangeFeed:
    """Publishes changes of the records to its subscribers (awaited, in subscription order)."""

    def __init__(self, db: Database, poll_seconds: float = POLL_SECONDS) -> None:
        self._db = db
        self._poll = poll_seconds
        self._subscribers: list[Subscriber] = []
        self._task: asyncio.Task[None] | None = None

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` on every change until the returned function is called."""
        self._subscribers.append(subscriber)
        if self._task is None:
            self._task = asyncio.create_task(self._other_writers(), name="records-data-version")

        def unsubscribe() -> None:
            with suppress(ValueError):
                self._subscribers.remove(subscriber)
            if not self._subscribers and self._task is not None:
                self._task.cancel()
                self._task = None

        return unsubscribe

    async def publish(self, names: Iterable[str] | None) -> None:
        """Tell every subscriber that ``names`` (None: anything) changed."""
        changed = None if names is None else frozenset(names)
        for subscriber in list(self._subscribers):
            try:
                await subscriber(changed)
            except Exception:  # one broken subscriber must not fail the write that published
                log.exception("a records subscriber failed")

    async def _version(self) -> tuple[int, int]:
        return await self._db.data_version()

    async def _other_writers(self) -> None:
        last: tuple[int, int] | None = None
        while True:
            try:
                version = await self._version()
                if last is not None and version != last:
                    await self.publish(None)
                last = version
            except Exception as exc:  # the file went away, a closed connection: try again
                log.debug("reading data_version failed: %s", exc)
            await asyncio.sleep(self._poll)
