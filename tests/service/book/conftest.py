"""Book fixtures: an app whose books run on few years and cache into the test's folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.apps import make_app
from tests.support.city import quote_body

#: Few simulated years keep each book run to milliseconds; the identities tested hold
#: for any number of years (common random numbers), only Monte Carlo error grows.
TEST_YEARS = 2_000
TEST_SEED = 11


@pytest.fixture
def book_config(tmp_path: Path) -> dict[str, Any]:
    return {
        "POLISURE_BOOK_CACHE_DIR": str(tmp_path / "book-cache"),
        "POLISURE_BOOK_YEARS": TEST_YEARS,
        "POLISURE_BOOK_SEED": TEST_SEED,
    }


@pytest.fixture
def app(database_url: str, book_config: dict[str, Any]) -> Iterator[Flask]:
    application = make_app(database_url, **book_config)
    yield application
    application.extensions["polisure.db"].dispose()


@pytest.fixture
def other_auth(make_key: Callable[[str, str], str]) -> dict[str, str]:
    """Authorization header of an insurer key of another tenant, 'globex'."""
    return {"Authorization": f"Bearer {make_key('globex', 'insurer')}"}


@pytest.fixture
def quote_city(client: FlaskClient) -> Callable[..., dict[str, Any]]:
    """POST a quote for the test city with ``vendors`` and policy terms; returns the quote."""

    def post(auth: dict[str, str], vendors: list[str] | None = None, **terms: Any) -> Any:
        prior = terms.pop("prior_incidents_3y", None)
        body = quote_body(**terms)
        if vendors is not None:
            body["exposure"]["vendors"] = vendors
        if prior is not None:
            body["exposure"]["prior_incidents_3y"] = prior
        response = client.post("/v1/quotes", json=body, headers=auth)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return post
