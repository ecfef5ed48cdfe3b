"""Per-client rate limits: a token bucket per client (its API key, else its address).

The buckets live in the process: with several processes each holds its own, so the effective limit is the
per-process limit times the number of processes (documented in the README's production notes).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic, max_clients: int = 100_000
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.max_clients = max_clients
        # client -> (tokens, time of last refill), least recently seen first
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
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
            wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate
            self._buckets[client] = (tokens - 1.0 if wait == 0.0 else tokens, now)
            self._buckets.move_to_end(client)
            if len(self._buckets) > self.max_clients:
                # the least recently seen client goes: its bucket has refilled by now, or it is gone
                self._buckets.popitem(last=False)
            return wait
