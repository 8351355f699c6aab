"""The books' year losses, cached per tenant in the worker and in files its siblings share.

What a cached book is: its simulated years (models.accumulation.impact.
BookYears: the year losses and the occurrence losses, all that
``portfolio_impact`` reads) and the summary ``GET /v1/book/accumulation``
returns. Its key names everything the figures depend on: the tenant, the
book revision (the newest audit row of the tenant's book, so every bind and
cancel makes a new key), the model version (each city's own claims), the
catalog's version and file hash, the years and the seed. A key never
changes meaning, so an entry is never invalidated, only superseded.

Where: a dict in the worker (at most ``MEMORY_ENTRIES`` books, least
recently used dropped; a 50,000-year book is about 2 MB) in front of a
directory (POLISURE_BOOK_CACHE_DIR, default instance/book-cache) that every
gunicorn worker of the machine reads, one folder per tenant. Files are
written under a temporary name and renamed (``os.replace``), so a reader
sees a whole file or none, and two workers computing the same book at once
write the same bytes, the last rename winning. A tenant's folder keeps its
``FILES_PER_TENANT`` newest books; older revisions are removed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.accumulation.impact import BookYears

log = logging.getLogger("polisure.service")
MEMORY_ENTRIES = 16
FILES_PER_TENANT = 4


@dataclass(frozen=True)
class BookKey:
    """Everything a book's simulated figures depend on."""

    tenant_id: str
    revision: int
    model_version: str
    catalog_version: str
    catalog_sha256: str
    years: int
    seed: int

    def digest(self) -> str:
        text = json.dumps(self.__dict__, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]

    def tenant_folder(self) -> str:
        # Tenant ids are free text; their hash is a safe folder name.
        return hashlib.sha256(self.tenant_id.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class CachedBook:
    """A book's simulated years and the summary read off them."""

    years: BookYears
    summary: dict[str, Any]


class BookCache:
    """In-process LRU dict in front of a shared directory of .npz + .json pairs."""

    def __init__(self, root: str | Path, memory_entries: int = MEMORY_ENTRIES) -> None:
        self.root = Path(root)
        self._memory: OrderedDict[BookKey, CachedBook] = OrderedDict()
        self._memory_entries = memory_entries
        self._lock = threading.Lock()

    def _paths(self, key: BookKey) -> tuple[Path, Path]:
        folder = self.root / key.tenant_folder()
        return folder / f"{key.digest()}.npz", folder / f"{key.digest()}.json"

    def get(self, key: BookKey) -> CachedBook | None:
        """The cached book of ``key`` (memory, then file), or None."""
        with self._lock:
            found = self._memory.get(key)
            if found is not None:
                self._memory.move_to_end(key)
                return found
        found = self._read(key)
        if found is not None:
            self._remember(key, found)
        return found

    def put(self, key: BookKey, book: CachedBook) -> None:
        """Keep ``book`` in memory and, best effort, in the shared folder."""
        self._remember(key, book)
        try:
            self._write(key, book)
        except OSError as exc:
            # The worker still serves from memory; siblings compute their own copy.
            log.warning("book cache not written", extra={"reason": str(exc)})

    def _remember(self, key: BookKey, book: CachedBook) -> None:
        with self._lock:
            self._memory[key] = book
            self._memory.move_to_end(key)
            while len(self._memory) > self._memory_entries:
                self._memory.popitem(last=False)

    def _read(self, key: BookKey) -> CachedBook | None:
        years_path, summary_path = self._paths(key)
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
            years = BookYears.load(years_path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None  # absent, or half of a pair: computed again
        return CachedBook(years, summary)

    def _write(self, key: BookKey, book: CachedBook) -> None:
        years_path, summary_path = self._paths(key)
        # The years first: a reader needs both, and the summary's presence is not enough.
        book.years.save(years_path)
        _write_text_atomically(summary_path, json.dumps(book.summary, allow_nan=False))
        self._prune(years_path.parent)

    def _prune(self, folder: Path) -> None:
        """Keep the tenant's newest FILES_PER_TENANT books (by modification time)."""
        pairs = sorted(folder.glob("*.json"), key=_mtime, reverse=True)
        for stale in pairs[FILES_PER_TENANT:]:
            stale.unlink(missing_ok=True)
            stale.with_suffix(".npz").unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _write_text_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
