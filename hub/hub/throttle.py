"""Sign-in throttling, per user name and per client address, in the web server's memory.

Each failed sign-in counts against the name tried and the address it came from. Past a
threshold, each further failure locks that name (or address) for twice as long as the last,
up to a cap; a locked attempt is answered 429 with `Retry-After` before any password is
hashed, so guessing costs no CPU either. The per-name cap is short (30 s): an attacker who
knows an admin's name can slow, but never lock out, the real admin. The per-address cap is
long (15 min): that address is the attacker's own. A success clears the name's count only
(signing in to one's own account must not reset an address's count). Counts are forgotten
after 15 minutes of quiet.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

USER_THRESHOLD, USER_CAP_SECONDS = 5, 30
ADDRESS_THRESHOLD, ADDRESS_CAP_SECONDS = 20, 15 * 60
FORGET_AFTER_SECONDS = 15 * 60
_MAX_ENTRIES = 100_000  # memory stays bounded whatever names an attacker tries


@dataclass
class _Count:
    failures: int
    last: float  # time of the last failure
    until: float  # locked until then (<= last: not locked)


class SignInThrottle:
    """Failure counts per ("user", name) and ("address", ip); `clock` is monotonic seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counts: dict[tuple[str, str], _Count] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(user: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("user", user.strip().lower()), ("address", address)

    def retry_after(self, user: str, address: str) -> int:
        """Whole seconds to wait before this name may be tried from this address (0: now)."""
        now = self._clock()
        with self._lock:
            waits = [
                count.until - now
                for key in self._keys(user, address)
                if (count := self._counts.get(key)) is not None
            ]
        return max((math.ceil(w) for w in waits if w > 0), default=0)

    def failed(self, user: str, address: str) -> None:
        now = self._clock()
        user_key, address_key = self._keys(user, address)
        with self._lock:
            if len(self._counts) > _MAX_ENTRIES:
                self._forget_quiet(now)
            self._bump(user_key, now, USER_THRESHOLD, USER_CAP_SECONDS)
            self._bump(address_key, now, ADDRESS_THRESHOLD, ADDRESS_CAP_SECONDS)

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._counts.pop(("user", user.strip().lower()), None)

    def _bump(self, key: tuple[str, str], now: float, threshold: int, cap: int) -> None:
        count = self._counts.get(key)
        if count is None or now - max(count.last, count.until) >= FORGET_AFTER_SECONDS:
            count = self._counts[key] = _Count(0, now, now)
        count.failures += 1
        count.last = now
        if count.failures >= threshold:
            count.until = now + min(cap, 2 ** (count.failures - threshold))

    def _forget_quiet(self, now: float) -> None:
        for key, count in list(self._counts.items()):
            if now - max(count.last, count.until) >= FORGET_AFTER_SECONDS:
                del self._counts[key]
