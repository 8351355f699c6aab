"""portfolio_impact: exactly the book's figures after binding the city minus before.

The oracle is the identity of common random numbers (models.accumulation.
impact): the quote prices its city as the policy it becomes ("p_" + the quote
id's hex part) on the cached book's years and seed, so binding it must move
GET /v1/book/accumulation by the quoted deltas, to float rounding. Checked on
the test engine (catalog events only) and on the shipped model's engine (each
city's own claims as well).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models.underwriting.quote_engine import QuoteEngine, load_quote_engine
from tests.service.book.conftest import TEST_SEED, TEST_YEARS
from tests.support.apps import make_app
from tests.support.city import quote_body, town_exposure
from training.cli import main as training_main

QuoteCity = Callable[..., dict[str, Any]]
#: The book the city is priced against: shared and unshared vendors, aliases, no vendors.
BOOK_VENDORS: list[list[str]] = [["Nimbus", "TollGate Payments"], ["CivicERP", "Nimbus Cloud"], []]
CITY_VENDORS = ["Nimbus Cloud Services", "Beacon Public Safety", "GridWorks SCADA"]


def _accumulation(client: FlaskClient, auth: dict[str, str]) -> dict[str, Any]:
    response = client.get("/v1/book/accumulation", headers=auth)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def _bind(client: FlaskClient, auth: dict[str, str], quote_id: str) -> None:
    assert client.post(f"/v1/quotes/{quote_id}/bind", headers=auth).status_code == 201


def _check_impact_is_the_change_of_the_book(
    client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> dict[str, Any]:
    for i, vendors in enumerate(BOOK_VENDORS):
        quote = quote_city(auth, vendors=vendors, limit_usd=2_000_000 * (i + 1))
        _bind(client, auth, quote["quote_id"])
    before = _accumulation(client, auth)
    quote = quote_city(auth, vendors=CITY_VENDORS, retention_usd=25_000)
    impact = quote["portfolio_impact"]
    assert (impact["years"], impact["seed"]) == (TEST_YEARS, TEST_SEED)
    assert (impact["book_revision"], impact["book_policies"]) == (3, 3)
    _bind(client, auth, quote["quote_id"])
    after = _accumulation(client, auth)
    assert (after["years"], after["seed"], after["policies"]) == (TEST_YEARS, TEST_SEED, 4)

    def delta(figure: Callable[[dict[str, Any]], float]) -> float:
        return figure(after) - figure(before)

    close = {"rel": 1e-9, "abs": 1e-6}
    assert impact["delta_aal_usd"] == pytest.approx(delta(lambda s: s["aal_usd"]), **close)
    for name, curve in (("oep_200", "oep"), ("aep_200", "aep"), ("aep_tvar_200", "aep_tvar")):
        moved = delta(lambda s, c=curve: s["ep"][c]["200"])
        assert impact[f"delta_{name}_usd"] == pytest.approx(moved, **close), name
    # A city that shares the book's largest cloud adds to its tail, not only its mean.
    assert impact["delta_aal_usd"] > 0
    assert impact["delta_aep_200_usd"] > 0
    return quote


def test_the_impact_is_the_change_of_the_book_on_the_test_engine(
    client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    _check_impact_is_the_change_of_the_book(client, auth, quote_city)


@pytest.fixture(scope="module")
def model_engine() -> QuoteEngine:
    return load_quote_engine(None)  # the shipped bundle


@pytest.fixture
def model_app(
    database_url: str, book_config: dict[str, Any], model_engine: QuoteEngine
) -> Iterator[Flask]:
    application = make_app(database_url, POLISURE_QUOTE_ENGINE=model_engine, **book_config)
    yield application
    application.extensions["polisure.db"].dispose()


def test_the_impact_is_the_change_of_the_book_on_the_shipped_model(
    model_app: Flask, make_model_key: Callable[[str], dict[str, str]]
) -> None:
    client = model_app.test_client()
    auth = make_model_key("acme")

    def quote_city(auth: dict[str, str], vendors: list[str], **terms: Any) -> dict[str, Any]:
        body = quote_body(town_exposure(), **terms)
        body["exposure"]["vendors"] = vendors
        response = client.post("/v1/quotes", json=body, headers=auth)
        assert response.status_code == 201, response.get_json()
        quote: dict[str, Any] = response.get_json()
        return quote

    quote = _check_impact_is_the_change_of_the_book(client, auth, quote_city)
    assert quote["model_version"] == _accumulation(client, auth)["model_version"]


@pytest.fixture
def make_model_key(model_app: Flask) -> Callable[[str], dict[str, str]]:
    runner = model_app.test_cli_runner()

    def create(tenant: str) -> dict[str, str]:
        result = runner.invoke(args=["keys", "create", "--tenant", tenant, "--role", "insurer"])
        assert result.exit_code == 0, result.output
        return {"Authorization": f"Bearer {result.stdout.strip().splitlines()[-1]}"}

    return create


def test_no_impact_while_the_book_is_empty(
    client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    first = quote_city(auth, vendors=["Nimbus"])
    assert "portfolio_impact" not in first
    _bind(client, auth, first["quote_id"])
    assert "portfolio_impact" in quote_city(auth)
    policy_id = "p_" + first["quote_id"][2:]
    client.post(f"/v1/book/policies/{policy_id}/cancel", headers=auth)
    assert "portfolio_impact" not in quote_city(auth)  # cancelled: the book is empty again


def test_the_impact_is_stored_and_replayed_byte_for_byte(
    client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    _bind(client, auth, quote_city(auth, vendors=["Nimbus"])["quote_id"])
    body = quote_body()
    body["exposure"]["vendors"] = ["Nimbus Cloud"]
    headers = {**auth, "Idempotency-Key": "city-42"}
    first = client.post("/v1/quotes", json=body, headers=headers)
    impact = first.get_json()["portfolio_impact"]
    assert set(impact) >= {
        "delta_aal_usd",
        "delta_oep_200_usd",
        "delta_aep_200_usd",
        "delta_aep_tvar_200_usd",
    }
    # The book changes; the stored quote (and its impact on the book of its day) does not.
    _bind(client, auth, quote_city(auth, vendors=["Nimbus"])["quote_id"])
    replay = client.post("/v1/quotes", json=body, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.data == first.data
    fetched = client.get(f"/v1/quotes/{first.get_json()['quote_id']}", headers=auth)
    assert fetched.data == first.data


def test_training_accumulate_on_the_export_gives_the_service_s_figures(
    model_app: Flask, make_model_key: Callable[[str], dict[str, str]], tmp_path: Path
) -> None:
    """One book, two doors: GET /v1/book/accumulation and ``training accumulate`` on the
    book's export (same catalog, bundle, years and seed) give the same figures."""
    client = model_app.test_client()
    auth = make_model_key("acme")
    for n, vendors in enumerate([*BOOK_VENDORS, CITY_VENDORS]):
        terms: dict[str, Any] = {"limit_usd": 1e6 * (n + 1)}
        if n == 1:
            terms["coverages"] = ["cyber_extortion", "business_interruption"]
        body = quote_body(town_exposure(), **terms)
        body["exposure"]["vendors"] = vendors
        quote = client.post("/v1/quotes", json=body, headers=auth).get_json()
        assert client.post(f"/v1/quotes/{quote['quote_id']}/bind", headers=auth).status_code == 201
    service = _accumulation(client, auth)
    book = tmp_path / "book.csv"
    book.write_bytes(client.get("/v1/book/export", headers=auth).get_data())
    out = tmp_path / "out"
    argv = ["accumulate", "--book", str(book), "--years", str(service["years"]),
            "--seed", str(service["seed"]), "--out", str(out)]  # fmt: skip
    assert training_main(argv) == 0
    cli = json.loads((out / "summary.json").read_text())
    assert service["policies"] == 4 and service["aal_usd"] > 0
    for name in ("aal_usd", "ep", "spof", "catalog_version", "years", "seed"):
        assert cli[name] == service[name], name  # the same engine on the same draws: bit for bit


def test_a_plan_s_cost_of_capital_loads_the_marginal_tvar_into_the_premium(
    database_url: str, book_config: dict[str, Any], model_engine: QuoteEngine
) -> None:
    plan = replace(model_engine.plan, loads=replace(model_engine.plan.loads, cost_of_capital=0.06))
    engine = QuoteEngine(model_engine.bundle, plan)
    app = make_app(database_url, POLISURE_QUOTE_ENGINE=engine, **book_config)
    client, runner = app.test_client(), app.test_cli_runner()
    key = runner.invoke(args=["keys", "create", "--tenant", "acme", "--role", "insurer"])
    auth = {"Authorization": f"Bearer {key.stdout.strip().splitlines()[-1]}"}

    def quote(vendors: list[str]) -> dict[str, Any]:
        body = quote_body(town_exposure())
        body["exposure"]["vendors"] = vendors
        response = client.post("/v1/quotes", json=body, headers=auth)
        assert response.status_code == 201, response.get_json()
        answer: dict[str, Any] = response.get_json()
        return answer

    first = quote(["Nimbus Cloud"])  # no book yet: no impact, no capital
    assert "portfolio_impact" not in first and first["premium_breakdown"]["capital_load_usd"] == 0
    assert client.post(f"/v1/quotes/{first['quote_id']}/bind", headers=auth).status_code == 201
    second = quote(["Nimbus Cloud"])  # the same vendor: a positive marginal TVaR
    tvar = second["portfolio_impact"]["delta_aep_tvar_200_usd"]
    breakdown = second["premium_breakdown"]
    assert tvar > 0
    assert breakdown["capital_load_usd"] == pytest.approx(0.06 * tvar, rel=1e-12)
    loads = plan.loads
    gap = breakdown["technical_premium_usd"] - first["premium_breakdown"]["technical_premium_usd"]
    assert gap == pytest.approx(
        breakdown["capital_load_usd"] / (1 - loads.expense_ratio - loads.profit_margin), rel=1e-9
    )
    app.extensions["polisure.db"].dispose()
