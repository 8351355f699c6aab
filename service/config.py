"""Service settings: defaults, then the environment (CONTRACT §4), then test overrides.

Every setting is read when the app is created, never at import time, so a
test can build an app with its own database and engine beside another.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from models.accumulation.simulation import DEFAULT_BOOK_SEED, DEFAULT_YEARS

#: Where the default SQLite database lives (the repository's ``instance/``).
DEFAULT_INSTANCE_PATH = Path(__file__).resolve().parent.parent / "instance"

#: Largest request body accepted, in bytes (a full exposure is about 3 KiB).
MAX_BODY_BYTES = 256 * 1024
#: Largest body of POST /v1/quotes/batch: 1,000 cities of ~3 KiB plus vendors lists.
BATCH_MAX_BODY_BYTES = 8 * 1024 * 1024

#: Simulated years of a book's accumulation (CONTRACT §7's default), and its fixed seed:
#: the same book, catalog, years and seed give the same figures, so the seed never varies.
BOOK_YEARS = DEFAULT_YEARS
BOOK_SEED = DEFAULT_BOOK_SEED
#: Days a quote can be bound after it was given (service.book.store).
QUOTE_VALID_DAYS = 30


def default_database_url(instance_path: Path = DEFAULT_INSTANCE_PATH) -> str:
    """SQLite file under the instance folder (opened in WAL mode by service.storage.db)."""
    return f"sqlite:///{instance_path / 'polisure.sqlite3'}"


def database_url_from_env(instance_path: Path = DEFAULT_INSTANCE_PATH) -> str:
    """``POLISURE_DATABASE_URL`` or the default SQLite file."""
    return os.environ.get("POLISURE_DATABASE_URL") or default_database_url(instance_path)


def settings_from_env(instance_path: Path) -> dict[str, Any]:
    """The app config this process's environment asks for."""
    env = os.environ
    return {
        "POLISURE_DATABASE_URL": database_url_from_env(instance_path),
        # None lets the engine factory pick the project's own bundles directory.
        "POLISURE_MODELS_DIR": env.get("POLISURE_MODELS_DIR") or None,
        "POLISURE_REDIS_URL": env.get("POLISURE_REDIS_URL") or None,
        # "module:callable" building the quote engine from the models directory.
        "POLISURE_ENGINE": env.get(
            "POLISURE_ENGINE", "models.underwriting.quote_engine:load_quote_engine"
        ),
        # Per API key (or per client address without a key); "a;b" for several.
        "POLISURE_RATE_LIMIT": env.get("POLISURE_RATE_LIMIT", "600 per minute;30 per second"),
        # Seconds a worker trusts a valid key's lookup: a revocation is honoured within it.
        "POLISURE_KEY_CACHE_SECONDS": float(env.get("POLISURE_KEY_CACHE_SECONDS") or 2.0),
        # Requests with an invalid key, per client address (service.access.auth_failures).
        "POLISURE_AUTH_FAILURE_LIMIT": env.get("POLISURE_AUTH_FAILURE_LIMIT", "20 per minute"),
        # The public self-assessment (no key, ~30 ms of model work each): per client address.
        "POLISURE_ASSESSMENT_RATE_LIMIT": env.get(
            "POLISURE_ASSESSMENT_RATE_LIMIT", "60 per minute;5 per second"
        ),
        # The event catalog file of the book's accumulation; None: the shipped one.
        "POLISURE_EVENT_CATALOG": env.get("POLISURE_EVENT_CATALOG") or None,
        # Cached year losses of the books, shared by the workers of one machine.
        "POLISURE_BOOK_CACHE_DIR": env.get("POLISURE_BOOK_CACHE_DIR")
        or str(instance_path / "book-cache"),
        "POLISURE_BOOK_YEARS": int(env.get("POLISURE_BOOK_YEARS") or BOOK_YEARS),
        "POLISURE_BOOK_SEED": int(env.get("POLISURE_BOOK_SEED") or BOOK_SEED),
        "POLISURE_QUOTE_VALID_DAYS": int(env.get("POLISURE_QUOTE_VALID_DAYS") or QUOTE_VALID_DAYS),
        # service.http.body_limit sets MAX_CONTENT_LENGTH to the larger of the two
        "POLISURE_BODY_LIMIT_BYTES": MAX_BODY_BYTES,
        "POLISURE_BATCH_BODY_LIMIT_BYTES": BATCH_MAX_BODY_BYTES,
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_TITLE": "Polisure insurer API",
        "API_VERSION": "v1",
    }
