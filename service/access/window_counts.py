"""In-process fixed-window counters for Flask-Limiter, expired lazily instead of by a timer thread.

limits' ``memory://`` storage expires its counters from a ``threading.Timer``
that it starts again every 10 ms while requests arrive: about one thread
start per request at a few hundred requests per second (issue 13's py-spy
profile of a worker under wrk: 8-9% of its samples in ``Thread.start`` and
``Timer.run``). Here a counter past its window reads as zero and restarts on
its next hit, and every ``SWEEP_EVERY`` hits one pass drops the expired
keys, so memory stays bounded by the keys of windows still open.

Only what the fixed-window strategy uses (service/access/ratelimit.py
configures no other): ``incr``, ``get``, ``get_expiry``, ``clear``. One lock
per process: each gunicorn worker counts on its own, as with ``memory://``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from limits.storage import Storage

SCHEME = "polisure-memory"
SWEEP_EVERY = 1024


class WindowCounts(Storage):
    """Counters of open windows: key -> (hits, end of the window as a Unix time)."""

    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 (limits registers storages by this list)

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, float]] = {}
        self._hits = 0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            hits, ends = self._windows.get(key, (0, 0.0))
            if ends <= now:  # the first hit opens the window, as memory:// does
                hits, ends = 0, now + expiry
            hits += amount
            self._windows[key] = (hits, ends)
            self._hits += 1
            if self._hits % SWEEP_EVERY == 0:
                self._sweep(now)
            return hits

    def _sweep(self, now: float) -> None:
        for key in [k for k, (_, ends) in self._windows.items() if ends <= now]:
            del self._windows[key]

    def get(self, key: str) -> int:
        hits, ends = self._windows.get(key, (0, 0.0))
        return hits if ends > time.time() else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        _, ends = self._windows.get(key, (0, 0.0))
        return ends if ends > now else now

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._windows)
            self._windows.clear()
            return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)
