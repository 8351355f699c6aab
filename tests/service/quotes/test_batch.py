"""POST /v1/quotes/batch over HTTP and in the database (CONTRACT §8).

Oracles: the fake engine's closed form (tests/support/fake_engine.py), POST
/v1/quotes of the same item (the same body but for id, time and reference),
the stored rows counted in the database, and the contract's names for errors.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.config import BATCH_MAX_BODY_BYTES, MAX_BODY_BYTES
from service.storage.db import get_db
from service.storage.tables import Quote
from tests.support.apps import make_app
from tests.support.city import quote_body
from tests.support.fake_engine import FakeQuoteEngine

URL = "/v1/quotes/batch"
PER_QUOTE = ("quote_id", "created_at", "reference")


def _count(app: Flask) -> int:
    with get_db(app).session() as session:
        return session.scalar(select(func.count()).select_from(Quote)) or 0


def _item(prior: int, reference: str | None = None, **policy: Any) -> dict[str, Any]:
    body = quote_body(**policy)
    body["exposure"]["prior_incidents_3y"] = prior
    if reference is not None:
        body["reference"] = reference
    return body


def _post(client: FlaskClient, auth: dict[str, str], items: list[Any], key: str | None = None):
    headers = dict(auth) | ({"Idempotency-Key": key} if key else {})
    return client.post(URL, json={"quotes": items}, headers=headers)


def _without(quote: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in quote.items() if k not in PER_QUOTE}


def test_each_item_is_stored_as_its_single_quote_in_order(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    items = [
        _item(0, "city-a"),
        _item(4, "city-b", retention_usd=250_000, period_days=730),
        _item(60),
    ]
    response = _post(client, auth, items)
    assert response.status_code == 201
    quotes = response.get_json()["quotes"]
    assert [q.get("reference") for q in quotes] == ["city-a", "city-b", None]
    assert len({q["quote_id"] for q in quotes}) == 3
    # the fake's closed form: lambda = 0.02 (1 + prior/2), 1e6 ground-up, all parts
    assert quotes[1]["expected_claim_count"] == pytest.approx(0.02 * 3 * 2)
    assert [q["decision"] for q in quotes] == ["quote", "quote", "decline"]
    assert _count(app) == 3
    for item, quote in zip(items, quotes, strict=True):
        single_item = {k: v for k, v in item.items() if k != "reference"}
        single = client.post("/v1/quotes", json=single_item, headers=auth)
        assert single.status_code == 201
        assert _without(single.get_json()) == _without(quote)
        fetched = client.get(f"/v1/quotes/{quote['quote_id']}", headers=auth)
        assert fetched.status_code == 200
        assert fetched.get_json() == quote
        assert fetched.data == json.dumps(quote, separators=(",", ":")).encode()


def test_an_invalid_item_is_named_by_index_and_nothing_is_stored(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    bad_population = _item(0)
    bad_population["exposure"]["population"] = "many"
    bad_limit = _item(1, limit_usd=10.0)
    unknown_field = _item(2)
    unknown_field["exposure"]["moat_depth_m"] = 3
    response = _post(client, auth, [_item(0), bad_population, bad_limit, unknown_field])
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {
        "quotes.1.exposure.population",
        "quotes.2.policy.limit_usd",
        "quotes.3.exposure.moat_depth_m",
    }
    assert _count(app) == 0


@pytest.mark.parametrize("size", [0, 1001])
def test_a_batch_holds_one_to_a_thousand_items(
    app: Flask, client: FlaskClient, auth: dict[str, str], size: int
) -> None:
    response = _post(client, auth, [_item(0)] * size)
    assert response.status_code == 422
    assert "quotes" in response.get_json()["error"]["fields"]
    assert _count(app) == 0


def test_a_thousand_full_cities_fit_the_body_limit(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    items = [_item(i % 5, f"ref-{i}") for i in range(1000)]
    for item in items:  # vendors too: the body is well past the single quote's limit
        item["exposure"]["vendors"] = [f"Vendor {k}" for k in range(40)]
    body = json.dumps({"quotes": items}).encode()
    assert MAX_BODY_BYTES < len(body) < BATCH_MAX_BODY_BYTES
    response = client.post(URL, data=body, headers=auth, content_type="application/json")
    assert response.status_code == 201
    quotes = response.get_json()["quotes"]
    assert [q["reference"] for q in quotes] == [f"ref-{i}" for i in range(1000)]
    assert _count(app) == 1000


def test_over_the_batch_limit_is_413_and_other_paths_keep_theirs(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    huge = b'{"quotes": [' + b" " * BATCH_MAX_BODY_BYTES + b"]}"
    response = client.post(URL, data=huge, headers=auth, content_type="application/json")
    assert response.status_code == 413
    assert "8192 KiB" in response.get_json()["error"]["message"]
    padded = json.dumps(quote_body()).encode() + b" " * MAX_BODY_BYTES
    single = client.post("/v1/quotes", data=padded, headers=auth, content_type="application/json")
    assert single.status_code == 413
    assert "256 KiB" in single.get_json()["error"]["message"]


def test_idempotency_key_replays_the_batch_and_refuses_another_body(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    items = [_item(0, "a"), _item(3, "b")]
    first = _post(client, auth, items, key="batch-1")
    again = _post(client, auth, items, key="batch-1")
    assert first.status_code == again.status_code == 201
    assert again.data == first.data
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.headers["Idempotent-Replayed"] == "false"
    assert _count(app) == 2
    other = _post(client, auth, [_item(0, "a"), _item(4, "b")], key="batch-1")
    assert other.status_code == 409
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"
    fewer = _post(client, auth, items[:1], key="batch-1")
    assert fewer.status_code == 409
    # a single quote with the same key is its own request, not a replay of the batch
    single = client.post(
        "/v1/quotes", json=quote_body(), headers=auth | {"Idempotency-Key": "batch-1"}
    )
    assert single.status_code == 201 and single.headers["Idempotent-Replayed"] == "false"
    assert _count(app) == 3


def test_another_tenant_neither_replays_nor_reads_the_batch(
    app: Flask, client: FlaskClient, auth: dict[str, str], make_key
) -> None:
    other = {"Authorization": f"Bearer {make_key('globex', 'insurer')}"}
    mine = _post(client, auth, [_item(0)], key="shared").get_json()["quotes"][0]
    theirs = _post(client, other, [_item(0)], key="shared")
    assert theirs.status_code == 201
    assert theirs.headers["Idempotent-Replayed"] == "false"
    assert client.get(f"/v1/quotes/{mine['quote_id']}", headers=other).status_code == 404


def test_an_item_the_engine_cannot_price_is_422_by_index_and_nothing_is_stored(
    app: Flask, auth: dict[str, str]
) -> None:
    class Refusing(FakeQuoteEngine):
        def quote(
            self, exposure: dict[str, Any], policy: dict[str, Any], marginal_tvar_usd: float = 0.0
        ) -> dict[str, Any]:
            if exposure["prior_incidents_3y"] == 7:
                error = ValueError("retention above the plan's maximum")
                error.fields = {"policy.retention_usd": ["above the plan's maximum"]}  # type: ignore[attr-defined]
                raise error
            return super().quote(exposure, policy, marginal_tvar_usd)

    app.extensions["polisure.engine"]._engine = Refusing()
    response = _post(app.test_client(), auth, [_item(0), _item(7)])
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "quotes.1.policy.retention_usd": ["above the plan's maximum"]
    }
    assert _count(app) == 0


def test_roles_and_keys_hold_for_the_batch(
    client: FlaskClient, make_key, auth: dict[str, str]
) -> None:
    assert client.post(URL, json={"quotes": [_item(0)]}).status_code == 401
    admin = {"Authorization": f"Bearer {make_key('acme', 'admin')}"}
    assert _post(client, admin, [_item(0)]).status_code == 403


def test_on_a_book_each_item_carries_the_change_binding_it_makes(
    database_url: str, tmp_path
) -> None:
    """The oracle of tests/service/book/test_impact.py: binding the item moves the book's
    figures by its quoted deltas (common random numbers), for an item of a batch too."""
    app = make_app(
        database_url,
        POLISURE_BOOK_CACHE_DIR=str(tmp_path / "book-cache"),
        POLISURE_BOOK_YEARS=2_000,
        POLISURE_BOOK_SEED=11,
    )
    client = app.test_client()
    runner = app.test_cli_runner()
    key = runner.invoke(args=["keys", "create", "--tenant", "acme", "--role", "insurer"])
    auth = {"Authorization": f"Bearer {key.stdout.strip().splitlines()[-1]}"}
    first = _item(0)
    first["exposure"]["vendors"] = ["Nimbus"]
    empty = _post(client, auth, [first]).get_json()["quotes"][0]
    assert "portfolio_impact" not in empty  # an empty book: no impact
    assert client.post(f"/v1/quotes/{empty['quote_id']}/bind", headers=auth).status_code == 201
    items = [_item(1), _item(2)]
    for item in items:
        item["exposure"]["vendors"] = ["Nimbus Cloud", "GridWorks SCADA"]
    quotes = _post(client, auth, items).get_json()["quotes"]
    assert all("portfolio_impact" in q for q in quotes)
    before = client.get("/v1/book/accumulation", headers=auth).get_json()
    assert client.post(f"/v1/quotes/{quotes[1]['quote_id']}/bind", headers=auth).status_code == 201
    after = client.get("/v1/book/accumulation", headers=auth).get_json()
    impact = quotes[1]["portfolio_impact"]
    moved = after["aal_usd"] - before["aal_usd"]
    assert impact["delta_aal_usd"] == pytest.approx(moved, rel=1e-9, abs=1e-6)
    moved_tail = after["ep"]["aep"]["200"] - before["ep"]["aep"]["200"]
    assert impact["delta_aep_200_usd"] == pytest.approx(moved_tail, rel=1e-9, abs=1e-6)
    assert impact["delta_aal_usd"] > 0
    app.extensions["polisure.db"].dispose()
