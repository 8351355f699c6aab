"""GET /v1/book/accumulation: closed forms, the export through models.accumulation, arguments."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from flask.testing import FlaskClient

from models.accumulation.book import Book
from models.accumulation.catalog import shipped_event_catalog
from models.accumulation.run import run_book
from tests.service.book.conftest import TEST_SEED, TEST_YEARS
from tests.support.apps import make_app
from tests.support.city import quote_body

QuoteCity = Callable[..., dict[str, Any]]

#: One vendor event: 0.5 occurrences a year, every customer hit, 10% of its limit lost.
ONE_EVENT_CATALOG = """\
version: "9.1"
description: one outage of one cloud, for closed forms
events:
  - id: acme_cloud_outage
    family: vendor_outage
    annual_rate: 0.5
    footprint: {vendor: Acme Cloud, hit_probability: 1.0}
    loss: {share_of_limit: 0.1}
"""


def _bind(client: FlaskClient, auth: dict[str, str], quote_id: str) -> None:
    assert client.post(f"/v1/quotes/{quote_id}/bind", headers=auth).status_code == 201


def test_the_exported_book_run_by_models_accumulation_gives_the_same_figures(
    client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    vendors = [["Nimbus", "TollGate Payments"], ["civicerp ", "GridWorks SCADA"], []]
    for i, names in enumerate(vendors):
        quote = quote_city(auth, vendors=names, limit_usd=1_000_000 * (i + 1))
        _bind(client, auth, quote["quote_id"])
    summary = client.get("/v1/book/accumulation", headers=auth).get_json()
    assert (summary["catalog_version"], summary["years"], summary["seed"]) == (
        "2026.1",
        TEST_YEARS,
        TEST_SEED,
    )
    text = client.get("/v1/book/export", headers=auth).get_data(as_text=True)
    # Empty cells stay empty strings (an empty set), as the book file defines them.
    frame = pd.read_csv(io.StringIO(text), keep_default_na=False)
    run = run_book(Book.from_frame(frame), shipped_event_catalog(), TEST_YEARS, TEST_SEED)
    expected = {**run.summary(), "book_revision": 3, "policies": 3, "model_version": "test-model-1"}
    assert summary == expected
    spof = {row["vendor"]: row for row in summary["spof"]}
    # Nimbus is the shipped catalog's alias of Nimbus Cloud; CivicERP matched case folded.
    assert spof["nimbus cloud"]["policies"] == 1
    assert spof["civicerp"]["limit_usd"] == 2_000_000.0
    assert summary["aal_usd"] > 0


def test_one_vendor_event_gives_its_closed_forms(
    tmp_path: Path, database_url: str, book_config: dict[str, Any]
) -> None:
    """AAL = rate x loss; OEP(x) = 1 - exp(-rate P(L > x)); AEP from the Poisson count.

    Each occurrence costs each city 10% x 5M - 100k retention = 400k. At 0.5 a year,
    P(a year has one) = 1 - e^-0.5 = 0.39: the 1-in-5 OEP is 400k, the 1-in-2 is 0.
    Two cities share the vendor, so an occurrence costs the book 800k; P(N >= 3) =
    1.4% and P(N >= 4) = 0.18% put the 1-in-200 AEP at 3 occurrences, 2.4M.
    """
    path = tmp_path / "9.1.yaml"
    path.write_text(ONE_EVENT_CATALOG, encoding="utf-8")
    app = make_app(database_url, POLISURE_EVENT_CATALOG=str(path), **book_config)
    client = app.test_client()
    runner = app.test_cli_runner()
    key = runner.invoke(args=["keys", "create", "--tenant", "acme", "--role", "insurer"])
    auth = {"Authorization": f"Bearer {key.stdout.strip().splitlines()[-1]}"}
    for vendors in (["Acme Cloud"], [" ACME CLOUD"], ["Other"]):
        body = quote_body()
        body["exposure"]["vendors"] = vendors
        quote = client.post("/v1/quotes", json=body, headers=auth).get_json()
        _bind(client, auth, quote["quote_id"])
    years = 50_000
    summary = client.get(f"/v1/book/accumulation?years={years}", headers=auth).get_json()
    app.extensions["polisure.db"].dispose()
    assert summary["catalog_version"] == "9.1"
    # Monte Carlo: the mean yearly count has sd sqrt(0.5 / 50,000) = 0.63% of 0.5; 4 sd.
    assert summary["aal_usd"] == pytest.approx(0.5 * 800_000, rel=4 * (0.5 / years) ** 0.5 / 0.5)
    assert summary["ep"]["oep"]["2"] == 0.0
    assert summary["ep"]["oep"]["5"] == summary["ep"]["oep"]["1000"] == 800_000.0
    assert summary["ep"]["aep"]["200"] == 2_400_000.0
    # Every named vendor has a row, largest first; one no event names carries nothing.
    assert summary["spof"] == [
        {
            "vendor": "acme cloud",
            "policies": 2,
            "limit_usd": 10_000_000.0,
            "aal_usd": summary["aal_usd"],
            "loss_1_in_200_usd": 2_400_000.0,
        },
        {
            "vendor": "other",
            "policies": 1,
            "limit_usd": 5_000_000.0,
            "aal_usd": 0.0,
            "loss_1_in_200_usd": 0.0,
        },
    ]


def test_years_and_seed_are_taken_from_the_query_and_validated(
    client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    _bind(client, auth, quote_city(auth, vendors=["Nimbus"])["quote_id"])
    chosen = client.get("/v1/book/accumulation?years=1500&seed=3", headers=auth).get_json()
    assert (chosen["years"], chosen["seed"]) == (1500, 3)
    for query, field in (
        ("years=999", "years"),
        ("years=200001", "years"),
        ("years=abc", "years"),
        ("years=1500.5", "years"),
        ("seed=-1", "seed"),
        ("seed=4294967296", "seed"),
    ):
        response = client.get(f"/v1/book/accumulation?{query}", headers=auth)
        assert response.status_code == 422, query
        assert field in response.get_json()["error"]["fields"], query
