"""The book in force, cancelling, the export file, vendors on quotes, and tenant isolation."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from models.spec.fields import MODEL_FIELDS
from service.storage.db import get_db
from service.storage.tables import BookChange, Quote
from tests.support.city import city_exposure, quote_body

QuoteCity = Callable[..., dict[str, Any]]


def _bound(client: FlaskClient, auth: dict[str, str], quote: dict[str, Any]) -> str:
    response = client.post(f"/v1/quotes/{quote['quote_id']}/bind", headers=auth)
    assert response.status_code == 201
    policy_id: str = response.get_json()["policy_id"]
    return policy_id


def test_the_book_lists_the_policies_in_force_with_totals(
    client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    a = quote_city(auth, vendors=["Nimbus Cloud"], limit_usd=5_000_000)
    b = quote_city(auth, vendors=[], limit_usd=2_000_000, retention_usd=50_000)
    c = quote_city(auth, limit_usd=1_000_000, retention_usd=10_000)
    ids = [_bound(client, auth, q) for q in (a, b, c)]
    client.post(f"/v1/book/policies/{ids[1]}/cancel", headers=auth)

    book = client.get("/v1/book", headers=auth).get_json()
    assert [p["policy_id"] for p in book["policies"]] == [ids[0], ids[2]]
    assert book["policies"][0]["vendors"] == ["Nimbus Cloud"]
    assert book["policies"][1]["vendors"] == []
    assert book["totals"] == {
        "policies": 2,
        "limit_usd": 6_000_000.0,
        "premium_usd": a["premium_usd"] + c["premium_usd"],
    }
    assert book["book_revision"] == 4  # three binds and a cancellation, one audit row each


def test_cancelling_is_idempotent_and_audited_once(
    app: Flask, client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    policy_id = _bound(client, auth, quote_city(auth))
    first = client.post(f"/v1/book/policies/{policy_id}/cancel", headers=auth)
    again = client.post(f"/v1/book/policies/{policy_id}/cancel", headers=auth)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    policy = first.get_json()["policy"]
    assert policy["status"] == "cancelled"
    assert policy["cancelled_by"] == auth["Authorization"].removeprefix("Bearer ")[:12]
    assert policy["cancelled_at"] >= policy["bound_at"]
    with get_db(app).session() as session:
        actions = [r.action for r in session.scalars(select(BookChange).order_by(BookChange.id))]
    assert actions == ["bind", "cancel"]
    assert client.get("/v1/book", headers=auth).get_json()["policies"] == []


def test_another_tenant_sees_none_of_the_book(
    client: FlaskClient,
    auth: dict[str, str],
    other_auth: dict[str, str],
    quote_city: QuoteCity,
) -> None:
    policy_id = _bound(client, auth, quote_city(auth, vendors=["Nimbus Cloud"]))
    cancel = client.post(f"/v1/book/policies/{policy_id}/cancel", headers=other_auth)
    assert cancel.status_code == 404
    assert cancel.get_json()["error"]["code"] == "not_found"
    book = client.get("/v1/book", headers=other_auth).get_json()
    assert book == {
        "book_revision": 0,
        "policies": [],
        "totals": {"policies": 0, "limit_usd": 0.0, "premium_usd": 0.0},
    }
    export = client.get("/v1/book/export", headers=other_auth).get_data(as_text=True)
    assert export.splitlines()[1:] == []
    accumulation = client.get("/v1/book/accumulation", headers=other_auth).get_json()
    assert (accumulation["aal_usd"], accumulation["policies"], accumulation["spof"]) == (0.0, 0, [])
    assert "portfolio_impact" not in quote_city(other_auth, vendors=["Nimbus Cloud"])
    # ...while the owner's quotes are priced against its own book.
    assert "portfolio_impact" in quote_city(auth)
    assert client.get("/v1/book", headers=auth).get_json()["totals"]["policies"] == 1


def test_the_export_is_the_book_file_of_training_accumulate(
    client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    quote = quote_city(
        auth,
        vendors=["Nimbus", "TollGate Payments"],
        coverages=["cyber_extortion", "breach_response"],
    )
    policy_id = _bound(client, auth, quote)
    response = client.get("/v1/book/export", headers=auth)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="book-r1.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    # CONTRACT §7: policy_id, limit_usd, retention_usd, every exposure field, vendors;
    # coverages is the optional last column.
    expected_columns = ["policy_id", "limit_usd", "retention_usd"]
    expected_columns += [f.name for f in MODEL_FIELDS] + ["vendors", "coverages"]
    assert list(rows[0]) == expected_columns
    row = rows[0]
    city = city_exposure()
    assert row["policy_id"] == policy_id
    assert (float(row["limit_usd"]), float(row["retention_usd"])) == (5e6, 1e5)
    assert row["vendors"] == "Nimbus|TollGate Payments"
    # Sets in the field spec's order, joined by "|" (CONTRACT §1's CSV form).
    assert row["critical_services"] == "water|emergency_dispatch|transit"
    assert row["coverages"] == "breach_response|cyber_extortion"
    assert int(row["population"]) == city["population"]
    assert float(row["annual_revenue_usd"]) == city["annual_revenue_usd"]
    assert row["monitoring_24x7"] == "True"


@pytest.mark.parametrize(
    ("vendors", "path", "words"),
    [
        (["Nimbus", "   "], "exposure.vendors.1", "blank"),
        (["Nimbus|Cloud"], "exposure.vendors.0", "separator"),
        ([""], "exposure.vendors.0", "Length"),
        (["x"] * 501, "exposure.vendors", "Length"),
        ("Nimbus", "exposure.vendors", "list"),
        ([3], "exposure.vendors.0", "string"),
    ],
)
def test_vendor_names_are_validated_with_the_field_named(
    client: FlaskClient, auth: dict[str, str], vendors: Any, path: str, words: str
) -> None:
    body = quote_body()
    body["exposure"]["vendors"] = vendors
    response = client.post("/v1/quotes", json=body, headers=auth)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert path in fields, fields
    assert any(words.lower() in m.lower() for m in fields[path]), fields[path]


def test_vendors_are_stored_with_the_quote(
    app: Flask, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    quote = quote_city(auth, vendors=["Nimbus", "Beacon Public Safety"])
    with get_db(app).session() as session:
        row = session.get(Quote, quote["quote_id"])
        assert row is not None
        assert row.exposure["vendors"] == ["Nimbus", "Beacon Public Safety"]


def test_a_book_that_cannot_be_read_is_a_503_not_a_500(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    with get_db(app).engine.begin() as connection:
        connection.execute(text("DROP TABLE book_changes"))
    for response in (
        client.get("/v1/book", headers=auth),
        client.get("/v1/book/export", headers=auth),
        client.get("/v1/book/accumulation", headers=auth),
        client.post("/v1/quotes", json=quote_body(), headers=auth),  # priced against the book
    ):
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "storage_unavailable"
