"""A short-lived in-process cache of API-key lookups: one database query per key per bound.

Every API request authenticates its key; without a cache that is a query
per request (7% of a worker's time under load in issue 13's profile). A
valid key's principal is kept for POLISURE_KEY_CACHE_SECONDS (default 2 s)
in each worker, so a revoked key is refused by every worker at most that
many seconds after the revocation is committed (the bound the README
states; 0 turns the cache off). Only valid keys are cached: an unknown key
always reaches the database (and the failed-authentication limit), so a
key created a moment ago works at once. Entries are keyed by the key's
SHA-256, never the key itself, and the cache holds at most MAX_ENTRIES keys.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask, current_app

from service.access.keys import Principal

EXTENSION_KEY = "polisure.key_cache"
DEFAULT_SECONDS = 2.0
#: Keys kept at most; the oldest entry goes first (a tenant has a handful of keys).
MAX_ENTRIES = 4096


class KeyCache:
    """Principals of valid keys, each trusted for ``seconds`` after its lookup."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        if not seconds >= 0:
            raise ValueError(f"POLISURE_KEY_CACHE_SECONDS must be >= 0, got {seconds!r}")
        self.seconds = seconds
        self.clock = clock  # replaceable by a test's fake clock
        self._entries: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()

    def principal(self, key: str, lookup: Callable[[], Principal | None]) -> Principal | None:
        """The cached principal of ``key``, or ``lookup()``'s answer (cached when valid)."""
        if self.seconds == 0:
            return lookup()
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        now = self.clock()
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None and now < entry[0]:
                return entry[1]
        found = lookup()  # outside the lock: the database round trip must not serialise threads
        with self._lock:
            if found is None:
                self._entries.pop(digest, None)
            else:
                self._entries[digest] = (now + self.seconds, found)
                self._entries.move_to_end(digest)
                while len(self._entries) > MAX_ENTRIES:
                    self._entries.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def key_cache(app: Flask | None = None) -> KeyCache:
    cache: KeyCache = (app or current_app).extensions[EXTENSION_KEY]
    return cache


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = KeyCache(float(app.config["POLISURE_KEY_CACHE_SECONDS"]))
