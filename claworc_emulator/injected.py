"""What tests inject into the emulator's answers: failures (a Status instead of the answer) and
delays (before the request is carried out, or after it, before its answer)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from claworc_emulator.errors import ApiError


@dataclass
class Failure:
    """A failure injected by a test: answer ``times`` matching requests with this Status."""

    method: str
    path: re.Pattern[str]
    status: int
    reason: str
    message: str
    times: int
    retry_after: int | None
    after: int = 0
    """Let this many matching requests through before failing."""


def held_for(delays: list[tuple[str, re.Pattern[str], float]], request: web.Request) -> float:
    """Seconds the matching entries of ``delays`` hold ``request``."""
    method = request.method.upper()
    return sum(s for m, path, s in delays if m in ("*", method) and path.search(request.path))


def injected_failure(failures: list[Failure], request: web.Request) -> ApiError | None:
    """The Status error the next matching failure of ``failures`` answers ``request`` with (its
    count taken down), or None."""
    for failure in failures:
        if failure.method not in ("*", request.method.upper()):
            continue
        if not failure.path.search(request.path):
            continue
        if failure.after > 0:
            failure.after -= 1
            continue
        failure.times -= 1
        if failure.times <= 0:
            failures.remove(failure)
        details: dict[str, Any] | None = None
        headers: dict[str, str] = {}
        if failure.retry_after is not None:
            details = {"retryAfterSeconds": failure.retry_after}
            headers["Retry-After"] = str(failure.retry_after)
        return ApiError(failure.status, failure.reason, failure.message, details, headers)
    return None
