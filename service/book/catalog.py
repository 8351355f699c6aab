"""The event catalog the service's books run on, read and validated once at app start.

``POLISURE_EVENT_CATALOG`` names a catalog YAML file (default: the shipped
models/accumulation/catalogs/2026.1.yaml). A malformed file refuses the
app's start with EventCatalogError naming every problem, rather than
failing on the first book request. The file's SHA-256 keys the cached year
losses along with its version, so a catalog edited in place (same version,
new numbers) is never mixed with losses simulated on the old one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app

from models.accumulation.catalog import (
    DEFAULT_EVENT_CATALOG_VERSION,
    EVENT_CATALOGS_DIR,
    EventCatalog,
    EventCatalogError,
    load_event_catalog,
)

EXTENSION_KEY = "polisure.event_catalog"


@dataclass(frozen=True)
class ActiveCatalog:
    """The validated catalog, the file it came from and that file's SHA-256."""

    catalog: EventCatalog
    path: Path
    sha256: str

    @property
    def version(self) -> str:
        return self.catalog.version


def shipped_catalog_path() -> Path:
    return EVENT_CATALOGS_DIR / f"{DEFAULT_EVENT_CATALOG_VERSION}.yaml"


def load_active_catalog(path: str | Path | None) -> ActiveCatalog:
    """The catalog at ``path`` (None: the shipped one); EventCatalogError when malformed."""
    source = Path(path) if path else shipped_catalog_path()
    catalog = load_event_catalog(source)
    try:
        # Hash the bytes that were validated; a file swapped in between is caught by the
        # version check on the next start at the latest.
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
    except OSError as exc:
        raise EventCatalogError(str(source), [f"cannot read the file: {exc}"]) from exc
    return ActiveCatalog(catalog, source, digest)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = load_active_catalog(app.config.get("POLISURE_EVENT_CATALOG"))


def active_catalog(app: Flask | None = None) -> ActiveCatalog:
    loaded: ActiveCatalog = (app or current_app).extensions[EXTENSION_KEY]
    return loaded
