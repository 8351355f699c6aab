"""Building a test app: a migrated database, the test engine, a lifted rate limit,
a book cache of its own."""

from __future__ import annotations

import tempfile
from typing import Any

from flask import Flask

from service import create_app
from service.storage.migrate import upgrade_database
from tests.support.fake_engine import FakeQuoteEngine


def make_app(database_url: str, **config: Any) -> Flask:
    upgrade_database(database_url)
    settings = {
        "TESTING": True,
        "POLISURE_DATABASE_URL": database_url,
        "POLISURE_QUOTE_ENGINE": FakeQuoteEngine(),
        "POLISURE_RATE_LIMIT": "1000 per second",
        "POLISURE_ASSESSMENT_RATE_LIMIT": "1000 per second",
        "POLISURE_AUTH_FAILURE_LIMIT": "1000 per second",
        # Never the repository's instance folder: each app caches its books apart.
        "POLISURE_BOOK_CACHE_DIR": tempfile.mkdtemp(prefix="polisure-book-cache-"),
    }
    settings.update(config)
    return create_app(settings)
