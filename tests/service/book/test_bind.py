"""Binding quotes into the book: 201 then 200, 404/409 with their codes, audit rows, races."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text, update

from service.storage.db import get_db
from service.storage.tables import BookChange, Policy, Quote, utc_now
from tests.support.city import quote_body

QuoteCity = Callable[..., dict[str, Any]]


def _bind(client: FlaskClient, auth: dict[str, str], quote_id: str) -> Any:
    return client.post(f"/v1/quotes/{quote_id}/bind", headers=auth)


def _changes(app: Flask) -> list[tuple[str, str, str, str]]:
    with get_db(app).session() as session:
        rows = session.scalars(select(BookChange).order_by(BookChange.id))
        return [(r.tenant_id, r.policy_id, r.action, r.key_prefix) for r in rows]


def test_a_bound_quote_becomes_one_policy_with_its_terms_and_an_audit_row(
    app: Flask, client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    quote = quote_city(auth, vendors=[" Nimbus ", "CivicERP"], retention_usd=250_000)
    first = _bind(client, auth, quote["quote_id"])
    assert first.status_code == 201
    body = first.get_json()
    # The policy id is the quote's hex part: the same random draws before and after binding.
    assert body["policy_id"] == "p_" + quote["quote_id"][2:]
    policy = body["policy"]
    assert policy["quote_id"] == quote["quote_id"]
    assert policy["status"] == "in_force"
    assert (policy["limit_usd"], policy["retention_usd"]) == (5_000_000.0, 250_000.0)
    assert policy["premium_usd"] == quote["premium_usd"]
    assert policy["coverages"] == quote["policy"]["coverages"]
    assert policy["vendors"] == [" Nimbus ", "CivicERP"]
    # Trimmed, case folded, then the shipped catalog's alias Nimbus -> Nimbus Cloud.
    assert policy["vendors_canonical"] == ["nimbus cloud", "civicerp"]
    key_prefix = auth["Authorization"].removeprefix("Bearer ")[:12]
    assert policy["bound_by"] == key_prefix
    assert policy["cancelled_at"] is None

    again = _bind(client, auth, quote["quote_id"])
    assert again.status_code == 200
    assert again.get_json() == body
    assert _changes(app) == [("acme", body["policy_id"], "bind", key_prefix)]


def test_a_declined_quote_is_not_bindable(
    app: Flask, client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    quote = quote_city(auth, prior_incidents_3y=60)  # the fake engine declines from 50
    assert quote["decision"] == "decline"
    response = _bind(client, auth, quote["quote_id"])
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "quote_not_bindable"
    assert _changes(app) == []


def test_a_referred_quote_may_be_bound(
    client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    body = quote_body()
    body["exposure"]["ot_remote_access"] = "direct"  # the fake engine refers
    quote = client.post("/v1/quotes", json=body, headers=auth).get_json()
    assert quote["decision"] == "refer"
    assert _bind(client, auth, quote["quote_id"]).status_code == 201


def test_a_quote_older_than_the_validity_is_expired(
    app: Flask, client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    old, fresh = quote_city(auth), quote_city(auth)
    with get_db(app).session() as session, session.begin():
        for quote_id, age in ((old["quote_id"], 31), (fresh["quote_id"], 29)):
            session.execute(
                update(Quote)
                .where(Quote.id == quote_id)
                .values(created_at=utc_now() - timedelta(days=age))
            )
    response = _bind(client, auth, old["quote_id"])
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "quote_expired"
    assert "30 days" in response.get_json()["error"]["message"]
    assert _bind(client, auth, fresh["quote_id"]).status_code == 201


def test_a_cancelled_policy_is_not_bound_again(
    app: Flask, client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    quote = quote_city(auth)
    policy_id = _bind(client, auth, quote["quote_id"]).get_json()["policy_id"]
    assert client.post(f"/v1/book/policies/{policy_id}/cancel", headers=auth).status_code == 200
    response = _bind(client, auth, quote["quote_id"])
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "policy_cancelled"
    assert [c[2] for c in _changes(app)] == ["bind", "cancel"]


def test_another_tenants_quote_or_an_unknown_one_is_a_404(
    app: Flask,
    client: FlaskClient,
    auth: dict[str, str],
    other_auth: dict[str, str],
    quote_city: QuoteCity,
) -> None:
    quote = quote_city(auth)
    for quote_id, headers in ((quote["quote_id"], other_auth), ("q_" + "0" * 32, auth)):
        response = _bind(client, headers, quote_id)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    assert _changes(app) == []


def test_binding_needs_an_insurer_key(
    client: FlaskClient,
    auth: dict[str, str],
    make_key: Callable[[str, str], str],
    quote_city: QuoteCity,
) -> None:
    quote = quote_city(auth)
    assert client.post(f"/v1/quotes/{quote['quote_id']}/bind").status_code == 401
    admin = {"Authorization": f"Bearer {make_key('acme', 'admin')}"}
    assert _bind(client, admin, quote["quote_id"]).status_code == 403


def test_two_workers_binding_one_quote_at_once_make_one_policy(
    app: Flask, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    """Threads stand in for workers: each has its own client and database connections."""
    quote = quote_city(auth)
    start = threading.Barrier(4)
    statuses: list[int] = []
    bodies: list[Any] = []

    def bind() -> None:
        client = app.test_client()
        start.wait()
        response = _bind(client, auth, quote["quote_id"])
        statuses.append(response.status_code)
        bodies.append(response.get_json())

    threads = [threading.Thread(target=bind) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 200, 200, 201]
    assert len({b["policy_id"] for b in bodies}) == 1
    with get_db(app).session() as session:
        assert session.scalar(select(func.count()).select_from(Policy)) == 1
    assert [c[2] for c in _changes(app)] == ["bind"]


def test_a_bind_whose_audit_row_cannot_be_written_writes_nothing(
    app: Flask, client: FlaskClient, auth: dict[str, str], quote_city: QuoteCity
) -> None:
    quote = quote_city(auth)
    with get_db(app).engine.begin() as connection:
        connection.execute(text("DROP TABLE book_changes"))
    response = _bind(client, auth, quote["quote_id"])
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "storage_unavailable"
    with get_db(app).session() as session:  # the policy went with its audit row
        assert session.scalar(select(func.count()).select_from(Policy)) == 0
