"""The registry of bundle versions on disk, and the atomic ACTIVE pointer.

Layout of a models directory::

    models/bundles/
        ACTIVE                                   the active version's name
        2026-11-29T01-02-03Z-1a2b3c4d/           one immutable bundle
        .tmp-<host>-<pid>-<random>/              a version being written

Version names are ``<UTC creation time YYYY-MM-DDTHH-MM-SSZ>-<first 8 hex of
the content hash>``: they sort by creation time and two different bundles
never share a name. A version is written under a hidden temporary name in the
same directory and renamed into place in one ``os.rename``; the ACTIVE file is
replaced with ``os.replace``. Readers therefore only ever see complete
bundles and a complete pointer; a failed write removes its temporary
directory (names starting with "." are never listed as versions), and the
next write sweeps what a killed writer left (models/versions/staging.py).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from models.versions.bundle import BundleError, ModelBundle, content_hash, write_bundle_files
from models.versions.staging import staging_path, sweep_abandoned

DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[1] / "bundles"
MODELS_DIR_ENV = "POLISURE_MODELS_DIR"
ACTIVE_FILE = "ACTIVE"
_held_locks = threading.local()  # the promotion locks this thread holds (re-entrancy)
VERSION_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z-[0-9a-f]{8}$")


def resolve_models_dir(explicit: str | Path | None = None) -> Path:
    """``explicit`` (--models-dir), else $POLISURE_MODELS_DIR, else models/bundles."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(MODELS_DIR_ENV)
    return Path(env) if env else DEFAULT_MODELS_DIR


def version_name(created_at: datetime, digest: str) -> str:
    """``2026-11-29T01-02-03Z-1a2b3c4d`` from a UTC time and a content hash."""
    return created_at.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%SZ") + "-" + digest[:8]


class Registry:
    """Bundle versions under one models directory."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = resolve_models_dir(root)

    def versions(self) -> list[str]:
        """Every complete version, oldest first (within one second, by content hash)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if p.is_dir() and VERSION_PATTERN.match(p.name)
        )

    def active_version(self) -> str | None:
        """The version named in ACTIVE, or None when nothing was promoted."""
        try:
            name = (self.root / ACTIVE_FILE).read_text().strip()
        except FileNotFoundError:
            return None
        return name or None

    def path(self, version: str) -> Path:
        if not VERSION_PATTERN.match(version):
            raise BundleError(f"not a bundle version name: {version!r}")
        return self.root / version

    def load(self, version: str | None = None, nthread: int | None = None) -> ModelBundle:
        """Load ``version``, or the active one when None."""
        name = version or self.active_version()
        if name is None:
            raise BundleError(
                f"no active model in {self.root}; train one with `python -m training train "
                "--promote` or pass a version"
            )
        path = self.path(name)
        if not path.is_dir():
            raise BundleError(f"no bundle version {name} in {self.root}")
        return ModelBundle.load(path, nthread=nthread)

    def write_version(
        self,
        core: Mapping[str, bytes],
        documents: Callable[[str], Mapping[str, bytes]],
        created_at: datetime | None = None,
    ) -> str:
        """Write a new version atomically and return its name.

        ``core`` holds the files that determine predictions (hashed into the
        name); ``documents(version)`` renders the files that name the version
        (model card, report). If the same version already exists it is the
        same content and is left as it is.
        """
        created = created_at or datetime.now(UTC)
        version = version_name(created, content_hash(core))
        final = self.root / version
        if final.is_dir():
            return version
        self.root.mkdir(parents=True, exist_ok=True)
        sweep_abandoned(self.root)
        tmp = staging_path(self.root)
        tmp.mkdir()
        try:
            write_bundle_files(tmp, {**core, **documents(version)})
            ModelBundle.load(tmp)  # never publish what cannot be read back
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            if final.is_dir():  # a concurrent writer published the same content first
                return version
            raise
        return version

    @contextmanager
    def promotion_lock(self) -> Iterator[None]:
        """Hold the models directory's promotion lock (blocking; re-entrant in one thread).

        A promotion reads the active version, verifies the new one and swaps
        the pointer; two at once (two workers, or the API and ``train
        --promote``) would both see the same previous version, and the audit
        chain would skip one, so rollback would go to the wrong version. An
        exclusive ``flock`` on the models directory itself (no lock file to
        leave behind) serialises them across processes on this host; a models
        directory shared between hosts needs a filesystem whose locks those
        hosts share.
        """
        held: set[str] = _held_locks.__dict__.setdefault("roots", set())
        key = str(self.root.resolve())
        if key in held:
            yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held.add(key)
            try:
                yield
            finally:
                held.discard(key)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def promote(self, version: str) -> None:
        """Make ``version`` the active one (after verifying it loads), under the promotion lock."""
        with self.promotion_lock():
            self._promote_locked(version)

    def _promote_locked(self, version: str) -> None:
        self.load(version)
        sweep_abandoned(self.root)
        tmp = staging_path(self.root, ACTIVE_FILE)
        try:
            with open(tmp, "w") as handle:
                handle.write(version + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.root / ACTIVE_FILE)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
