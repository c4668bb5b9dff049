"""Vendor-neutral pieces of a fake API: rate limiting, fault injection and request counters."""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field


class TokenBucket:
    """`rate` tokens per second, holding at most `burst`; rate 0 means unlimited."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take a token; returns 0 when granted, else the seconds until one is free."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.rate


@dataclass
class Faults:
    """Fault-injection knobs, applied to authenticated API requests only."""

    storm_every: int = 0  # every Nth request opens a storm of 429s ...
    storm_length: int = 0  # ... this many requests long
    error_rate: float = 0.0  # share of requests answered with a 5xx
    slow_rate: float = 0.0  # share of pages delayed by slow_seconds
    slow_seconds: float = 0.0
    truncate_rate: float = 0.0  # share of 200 bodies cut in half (invalid JSON)
    fail_after: int = 0  # an outage: every request after the first N is a 5xx (0 = never)
    seed: int = 1
    _rng: random.Random = field(init=False, repr=False)
    _storm_left: int = field(default=0, init=False)
    _count: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        for name in ("error_rate", "slow_rate", "truncate_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        self._rng = random.Random(self.seed)

    def draw(self) -> str | None:
        """Decide this request's fault: 'storm', 'error', 'slow', 'truncate' or None."""
        self._count += 1
        if self.fail_after and self._count > self.fail_after:
            return "error"
        if self.storm_every and self._count % self.storm_every == 0:
            self._storm_left = self.storm_length
        if self._storm_left > 0:
            self._storm_left -= 1
            return "storm"
        roll = self._rng.random()
        if roll < self.error_rate:
            return "error"
        roll -= self.error_rate
        if roll < self.slow_rate:
            return "slow"
        roll -= self.slow_rate
        if roll < self.truncate_rate:
            return "truncate"
        return None

    def error_status(self) -> int:
        return self._rng.choice([500, 502, 503, 504])


@dataclass
class RequestStats:
    """What the fake API answered, for tests and benchmarks (`GET /_sandbox/stats`)."""

    statuses: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    recent: deque = field(default_factory=lambda: deque(maxlen=1000))  # "GET /path?query"
    first_at: float | None = None
    last_at: float | None = None

    def record(self, status: int, fault: str | None = None, request: str = "") -> None:
        now = time.monotonic()
        if request:
            self.recent.append(f"{status} {request}")
        self.first_at = self.first_at or now
        self.last_at = now
        self.statuses[status] += 1
        if fault:
            self.faults[fault] += 1

    def as_dict(self) -> dict:
        return {
            "requests": sum(self.statuses.values()),
            "by_status": {str(k): v for k, v in sorted(self.statuses.items())},
            "faults": dict(self.faults),
            "recent": list(self.recent),
        }

    def reset(self) -> None:
        self.statuses.clear()
        self.faults.clear()
        self.recent.clear()
        self.first_at = self.last_at = None


def retry_after_seconds(wait: float) -> str:
    """HTTP Retry-After takes whole seconds; round up so obeying it always succeeds."""
    return str(max(1, math.ceil(wait)))


@dataclass(frozen=True)
class Density:
    """How busy a seeded store's recent past is: the messy timing incremental readers meet.

    Before each boundary second a reader bookmarks on (`end`), `fraction` of the rows get
    their change stamp spread continuously over the seconds just before it, about
    `per_second` rows a second (jittered), with one batch-job second of up to `burst` rows
    in the middle; the last second before the boundary always holds several rows, so a
    reader that re-reads from "bookmark - 1 s" meets rows older than its bookmark.
    """

    fraction: float = 0.3
    per_second: int = 4
    burst: int = 300

    def __post_init__(self) -> None:
        if not 0 <= self.fraction <= 1 or self.per_second < 1 or self.burst < 0:
            raise ValueError("density: fraction in 0..1, per_second >= 1, burst >= 0")

    def stamps(self, rng: random.Random, count: int, end: int) -> list[int]:
        """`count` ascending whole-second stamps, all before `end`: the second `end - 1`
        holds max(3, per_second) of them (when there are that many), one burst second
        holds up to `burst` (at most a third of them), the rest about per_second a second."""
        burst = min(self.burst, count // 3)
        spread = count - burst
        out: list[int] = []
        second = end - 1
        first = max(3, self.per_second)
        while len(out) < spread:
            size = first if second == end - 1 else rng.randint(1, 2 * self.per_second - 1)
            out.extend([second] * min(size, spread - len(out)))
            second -= 1
        if burst:
            out.extend([end - 1 - (end - 1 - second) // 2] * burst)  # mid-window batch job
        return sorted(out)
