"""ActivityRepository: the append-only ``activity`` table.

Retention keeps 90 days or 10 000 rows, whichever is more: a row is pruned only when it is both
older than 90 days *and* beyond the newest 10 000.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from claworc_tui.db.database import Database
from claworc_tui.db.rows import NOW, parse_timestamp
from claworc_tui.models.activity import ActivityEntry, ApiCall, Outcome

KEEP_ROWS = 10_000
KEEP_DAYS = 90


class ActivityRepository:
    """Appends and reads activity entries."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(
        self,
        action: str,
        outcome: Outcome,
        *,
        instance: str | None = None,
        detail: str | None = None,
        calls: Sequence[ApiCall] = (),
    ) -> None:
        """Add one entry (the caller makes sure ``detail`` holds no key)."""
        payload = json.dumps([c.model_dump() for c in calls])
        async with self._db.transaction() as conn:
            await conn.execute(
                f"INSERT INTO activity (at, instance, action, outcome, detail, calls) "
                f"VALUES ({NOW}, ?, ?, ?, ?, ?)",
                (instance, action, outcome.value, detail, payload),
            )

    async def recent(self, limit: int = 200, instance: str | None = None) -> list[ActivityEntry]:
        """The newest entries first, optionally for one instance."""
        where, params = ("WHERE instance = ?", (instance, limit)) if instance else ("", (limit,))
        rows = await self._db.fetchall(
            f"SELECT id, at, instance, action, outcome, detail, calls FROM activity {where} "
            "ORDER BY id DESC LIMIT ?",
            params,
        )
        return [
            ActivityEntry(
                id=row["id"],
                at=parse_timestamp(row["at"]),
                instance=row["instance"],
                action=row["action"],
                outcome=Outcome(row["outcome"]),
                detail=row["detail"],
                calls=tuple(ApiCall(**c) for c in json.loads(row["calls"] or "[]")),
            )
            for row in rows
        ]

    async def prune(self) -> int:
        """Apply the retention rule; return how many rows went."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"""DELETE FROM activity WHERE at < strftime('%Y-%m-%d %H:%M:%f', 'now',
                    '-{KEEP_DAYS} days') AND id <= (SELECT id FROM activity ORDER BY id DESC
                    LIMIT 1 OFFSET {KEEP_ROWS})"""
            )
            return cursor.rowcount

    async def count(self) -> int:
        """How many entries there are."""
        row = await self._db.fetchone("SELECT COUNT(*) FROM activity")
        return int(row[0]) if row else 0
