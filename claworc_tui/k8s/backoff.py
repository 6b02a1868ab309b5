"""Capped, jittered exponential backoff for the reconnect loops (pod watch, log follow)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delays of ``base * 2**(attempt-1)``, capped at ``cap``, each scaled by a random factor.

    The jitter keeps many streams that lost the same server from reconnecting in lockstep.
    The factor is drawn from ``[1 - jitter, 1]`` so the cap is never exceeded.

    The cap is 1.5 s, not the usual tens of seconds: the app promises that status and logs
    resume within 2 s of the API server coming back, and one connection attempt per 1.5 s per
    stream is nothing for a server that answers. A server that is up but overloaded says so with
    429 and Retry-After, which the loops honour instead of this.

    Attributes:
        base: First delay in seconds.
        cap: Largest delay in seconds.
        jitter: Fraction of each delay that is random (0 = no jitter).
        attempt: Failures since the last success.
    """

    base: float = 0.2
    cap: float = 1.5
    jitter: float = 0.5
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait before the next try."""
        self.attempt += 1
        raw = min(self.cap, self.base * 2.0 ** min(self.attempt - 1, 30))
        return raw * (1.0 - self.jitter * self.rng.random())

    def reset(self) -> None:
        """A try succeeded: the next failure waits ``base`` again."""
        self.attempt = 0
