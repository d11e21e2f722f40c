"""Failed logins per account name, counted in memory: after too many in a window, the name waits.

An account's password is then guessed at most :data:`MAX_FAILED_LOGINS` times per :data:`FAILED_LOGIN_WINDOW`
seconds, whatever the number of clients, while a name nobody has is counted the same way (the answer says
nothing about which names exist). Counted by name, not by address: behind a reverse proxy every client has the
proxy's address. The counts live in the server process and start again with it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["FAILED_LOGIN_WINDOW", "MAX_FAILED_LOGINS", "LoginThrottle"]

MAX_FAILED_LOGINS = 10
FAILED_LOGIN_WINDOW = 600.0
#: Names tracked at most; the oldest are forgotten first (a flood of made-up names cannot fill the memory).
MAX_NAMES = 10_000


class LoginThrottle:
    """Per-name failed logins in a sliding window. Thread-safe."""

    def __init__(self, limit: int = MAX_FAILED_LOGINS, window: float = FAILED_LOGIN_WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, name: str) -> int:
        """Whole seconds `name` must wait before its next try (0: it may try now)."""
        with self._lock:
            recent = self._recent(name.casefold())
            if len(recent) < self.limit:
                return 0
            return max(1, math.ceil(recent[0] + self.window - self._clock()))

    def failed(self, name: str) -> None:
        with self._lock:
            key = name.casefold()
            recent = self._recent(key)
            recent.append(self._clock())
            self._failures[key] = recent
            while len(self._failures) > MAX_NAMES:
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name.casefold(), None)

    def _recent(self, key: str) -> deque[float]:
        recent = self._failures.get(key, deque())
        now = self._clock()
        while recent and recent[0] + self.window <= now:
            recent.popleft()
        return recent
