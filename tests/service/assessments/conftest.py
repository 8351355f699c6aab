"""The self-assessment tests' engine (the small trained bundle) and an app serving it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from models.underwriting.quote_engine import QuoteEngine, load_quote_engine
from tests.support.apps import make_app


@pytest.fixture(scope="module")
def engine(trained_registry) -> QuoteEngine:  # type: ignore[no-untyped-def]
    return load_quote_engine(str(trained_registry.root))


@pytest.fixture
def app(database_url: str, engine: QuoteEngine) -> Iterator[Flask]:
    application = make_app(database_url, POLISURE_QUOTE_ENGINE=engine)
    yield application
    application.extensions["polisure.db"].dispose()
