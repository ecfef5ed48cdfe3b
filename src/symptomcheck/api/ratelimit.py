"""Per-client rate limits: a token bucket per client (its API key, else its address).

The buckets live in the process: with several processes each holds its own, so the effective limit is the
per-process limit times the number of processes (documented in the README's production notes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic, max_clients: int = 100_000
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, time of last refill)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, client: str) -> float:
        """0 if the request may go ahead (and count it), else the seconds to wait before trying again."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                return (1.0 - tokens) / self.rate
            if len(self._buckets) >= self.max_clients and client not in self._buckets:
                self._forget_full(now)
            self._buckets[client] = (tokens - 1.0, now)
            return 0.0

    def _forget_full(self, now: float) -> None:
        """Drop the clients whose bucket has refilled: they are indistinguishable from new ones."""
        full = [c for c, (t, last) in self._buckets.items() if t + (now - last) * self.rate >= self.burst]
        for client in full:
            del self._buckets[client]
