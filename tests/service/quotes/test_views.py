"""Quotes over HTTP and in the database (SQLite; PostgreSQL too with TEST_DATABASE_URL)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select, text

from models.spec.contract import CLAIM_CAUSES
from service.access.key_cache import key_cache
from service.quotes.schemas import QuoteSchema
from service.quotes.store import issue_quote
from service.storage.db import get_db
from service.storage.tables import ApiKey, Quote
from tests.support.city import city_exposure, quote_body
from tests.support.fake_engine import FakeQuoteEngine


def _post(client: FlaskClient, auth: dict[str, str], body: Any, key: str | None = None):
    headers = dict(auth)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/v1/quotes", json=body, headers=headers)


def _quote_count(app: Flask) -> int:
    with get_db(app).session() as session:
        return session.scalar(select(func.count()).select_from(Quote)) or 0


def test_quote_is_priced_by_the_engine_stored_and_fetched_byte_for_byte(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    body = quote_body(retention_usd=250_000, period_days=730, coverages=["regulatory_fines"])
    response = _post(client, auth, body)
    assert response.status_code == 201
    quote = response.get_json()
    # Oracle: the fake engine's closed form. lambda = 0.02 x (1 + 2/2) = 0.04 per year,
    # 2 years -> 0.08 claims; insured per claim (1e6 - 250k) x 1/9 of the coverages.
    assert quote["expected_claim_count"] == pytest.approx(0.08)
    assert quote["claim_probability"] == pytest.approx(1 - math.exp(-0.08))
    assert quote["expected_loss_usd"] == pytest.approx(0.08 * 750_000 / 9)
    assert quote["premium_usd"] == pytest.approx(max(0.08 * 750_000 / 9 / 0.6, 1_000))
    assert quote["decision"] == "quote"
    assert quote["model_version"] == "test-model-1"
    assert quote["rating_plan_version"] == "test-plan-1"
    assert quote["policy"] == {
        "limit_usd": 5_000_000.0,
        "retention_usd": 250_000.0,
        "coverages": ["regulatory_fines"],
        "period_days": 730,
    }
    assert quote["quote_id"].startswith("q_")
    assert response.headers["Location"] == f"/v1/quotes/{quote['quote_id']}"

    fetched = client.get(response.headers["Location"], headers=auth)
    assert fetched.status_code == 200
    assert fetched.data == response.data

    with get_db(app).session() as session:
        row = session.get(Quote, quote["quote_id"])
        assert row is not None
        assert row.tenant_id == "acme"
        assert row.exposure == city_exposure()
        assert row.policy == quote["policy"]
        assert (row.model_version, row.rating_plan_version) == ("test-model-1", "test-plan-1")
        assert row.decision == "quote"


def test_policy_defaults_all_coverages_and_a_year(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    quote = _post(client, auth, quote_body()).get_json()
    assert quote["policy"]["period_days"] == 365
    assert len(quote["policy"]["coverages"]) == 9
    # All 9 parts, 1 year: 0.04 claims x (1e6 - 1e5) insured.
    assert quote["expected_loss_usd"] == pytest.approx(0.04 * 900_000)


def test_idempotent_replay_returns_the_same_quote_and_stores_one(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    first = _post(client, auth, quote_body(), key="order-17")
    again = _post(client, auth, quote_body(), key="order-17")
    assert first.status_code == again.status_code == 201
    assert again.data == first.data
    assert first.headers["Idempotent-Replayed"] == "false"
    assert again.headers["Idempotent-Replayed"] == "true"
    # The same set of coverages in another order is the same request.
    reordered = quote_body(coverages=["media_liability", "breach_response"])
    a = _post(client, auth, reordered, key="order-18")
    reordered["policy"]["coverages"].reverse()
    b = _post(client, auth, reordered, key="order-18")
    assert a.data == b.data
    assert _quote_count(app) == 2


def test_idempotency_key_reused_with_another_body_is_409(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    assert _post(client, auth, quote_body(), key="k1").status_code == 201
    response = _post(client, auth, quote_body(limit_usd=10_000_000), key="k1")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"
    assert _quote_count(app) == 1


def test_idempotency_keys_are_scoped_to_the_tenant(
    client: FlaskClient, auth: dict[str, str], make_key: Callable[[str, str], str]
) -> None:
    other = {"Authorization": f"Bearer {make_key('globex', 'insurer')}"}
    mine = _post(client, auth, quote_body(), key="same").get_json()
    theirs = _post(client, other, quote_body(limit_usd=1_000_000), key="same")
    assert theirs.status_code == 201
    assert theirs.get_json()["quote_id"] != mine["quote_id"]


def test_without_a_key_each_post_is_a_new_quote(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    ids = {_post(client, auth, quote_body()).get_json()["quote_id"] for _ in range(3)}
    assert len(ids) == 3
    assert _quote_count(app) == 3


def test_a_race_on_the_same_key_returns_the_winners_quote(app: Flask) -> None:
    """Two requests with one key both miss the lookup; the unique constraint decides."""
    db = get_db(app)
    with db.session() as session, session.begin():
        from service.access.keys import create_key

        create_key(session, "acme", "insurer")

    class RacingEngine(FakeQuoteEngine):
        winner: Any = None

        def quote(
            self, exposure: dict[str, Any], policy: dict[str, Any], marginal_tvar_usd: float = 0.0
        ) -> dict[str, Any]:
            if RacingEngine.winner is None:
                # The other worker commits the same key while we are pricing.
                RacingEngine.winner = issue_quote(
                    db, FakeQuoteEngine(), "acme", exposure, policy, "r"
                )
            return super().quote(exposure, policy)

    body = quote_body()
    policy = {**body["policy"], "coverages": ["breach_response"], "period_days": 365}
    loser = issue_quote(db, RacingEngine(), "acme", body["exposure"], policy, "r")
    assert loser.replayed
    assert loser.response_json == RacingEngine.winner.response_json
    assert _quote_count(app) == 1


def test_another_tenants_quote_is_404_like_a_missing_one(
    client: FlaskClient, auth: dict[str, str], make_key: Callable[[str, str], str]
) -> None:
    quote_id = _post(client, auth, quote_body()).get_json()["quote_id"]
    other = {"Authorization": f"Bearer {make_key('globex', 'insurer')}"}
    theirs = client.get(f"/v1/quotes/{quote_id}", headers=other)
    missing = client.get("/v1/quotes/q_does_not_exist", headers=other)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_json()["error"]["code"] == "not_found"
    assert quote_id not in missing.get_data(as_text=True)


def test_roles_admin_may_read_but_not_quote(
    client: FlaskClient, auth: dict[str, str], make_key: Callable[[str, str], str]
) -> None:
    admin = {"Authorization": f"Bearer {make_key('acme', 'admin')}"}
    quote_id = _post(client, auth, quote_body()).get_json()["quote_id"]
    assert client.get(f"/v1/quotes/{quote_id}", headers=admin).status_code == 200
    response = client.post("/v1/quotes", json=quote_body(), headers=admin)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_keys_are_stored_hashed_and_revocable(
    app: Flask, client: FlaskClient, make_key: Callable[[str, str], str], runner
) -> None:
    key = make_key("acme", "insurer")
    assert key.startswith("psk_") and len(key) == 47
    with get_db(app).session() as session:
        row = session.scalars(select(ApiKey)).one()
        assert row.key_sha256 == hashlib.sha256(key.encode()).hexdigest()
        assert row.prefix == key[:12]
        stored = " ".join(str(v) for v in session.execute(select(ApiKey.__table__)).one())
    assert key not in stored
    headers = {"Authorization": f"Bearer {key}"}
    clock = [100.0]
    key_cache(app).clock = lambda: clock[0]  # a fake clock: the cache's bound, not a sleep
    assert client.get("/v1/quotes/q_x", headers=headers).status_code == 404
    assert runner.invoke(args=["keys", "revoke", key[:12]]).exit_code == 0
    clock[0] += app.config["POLISURE_KEY_CACHE_SECONDS"]  # the stated bound has passed
    response = client.get("/v1/quotes/q_x", headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.get_json()["error"]["message"]


def test_revoking_by_the_whole_key_never_prints_it(app: Flask, runner: FlaskCliRunner) -> None:
    """Before: ``keys revoke <whole key>`` echoed the key into the terminal."""
    created = runner.invoke(args=["keys", "create", "--tenant", "acme", "--role", "insurer"])
    key = created.stdout.strip().splitlines()[-1]
    result = runner.invoke(args=["keys", "revoke", key])
    assert result.exit_code == 0
    assert key not in result.output and f"revoked {key[:12]}" in result.output
    secret_tail = "x" * 30
    unknown = runner.invoke(args=["keys", "revoke", "psk_nosuchk" + secret_tail])
    assert unknown.exit_code != 0 and secret_tail not in unknown.output


def test_a_quote_that_cannot_be_stored_is_not_returned(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    engine = get_db(app).engine
    # PostgreSQL refuses to drop a table others refer to (the book's policies) without
    # CASCADE, which drops only those foreign keys; SQLite has no CASCADE and no such check.
    cascade = " CASCADE" if engine.dialect.name == "postgresql" else ""
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE quotes{cascade}"))
    response = _post(client, auth, quote_body())
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "storage_unavailable"
    assert "quote_id" not in response.get_data(as_text=True)


def test_engine_refusal_is_422_naming_the_field(app: Flask, auth: dict[str, str]) -> None:
    class Refusing(FakeQuoteEngine):
        def quote(
            self, exposure: dict[str, Any], policy: dict[str, Any], marginal_tvar_usd: float = 0.0
        ) -> dict[str, Any]:
            error = ValueError("retention above the plan's maximum")
            error.fields = {"policy.retention_usd": ["above the plan's maximum"]}  # type: ignore[attr-defined]
            raise error

    app.extensions["polisure.engine"]._engine = Refusing()
    response = app.test_client().post("/v1/quotes", json=quote_body(), headers=auth)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "policy.retention_usd": ["above the plan's maximum"]
    }


def _assert_causes_add_up(quote: dict[str, Any]) -> None:
    """CONTRACT §6: one entry per cause, in its order, and the parts add up to the totals."""
    causes = quote["causes"]
    assert [c["cause"] for c in causes] == list(CLAIM_CAUSES)
    for c in causes:
        assert set(c) == {
            "cause",
            "claim_rate_per_year",
            "expected_annual_ground_up_loss_usd",
            "expected_loss_usd",
        }
    for total in ("claim_rate_per_year", "expected_annual_ground_up_loss_usd", "expected_loss_usd"):
        assert math.fsum(c[total] for c in causes) == pytest.approx(quote[total], rel=1e-9)


def test_quote_splits_its_rate_and_losses_by_cause_and_get_returns_them_unchanged(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    body = quote_body(retention_usd=250_000, period_days=730, coverages=["regulatory_fines"])
    response = _post(client, auth, body, key="causes-1")
    quote = response.get_json()
    _assert_causes_add_up(quote)
    # Oracle: the fake engine's closed form. lambda = 0.04 a year, 6 in 20 claims are
    # ransomware, each 1e6 ground-up; insured (1e6 - 250k) x 1/9 over 2 years.
    ransomware = quote["causes"][0]
    assert ransomware["claim_rate_per_year"] == pytest.approx(0.04 * 6 / 20)
    assert ransomware["expected_annual_ground_up_loss_usd"] == pytest.approx(0.04 * 6 / 20 * 1e6)
    assert ransomware["expected_loss_usd"] == pytest.approx(0.08 * 6 / 20 * 750_000 / 9)
    # A cause's yearly ground-up loss is its rate times its mean loss (the severity's).
    severity = quote["severity"]
    assert set(severity) == {"distribution", "by_cause"}
    assert [s["cause"] for s in severity["by_cause"]] == list(CLAIM_CAUSES)
    for cause, sev in zip(quote["causes"], severity["by_cause"], strict=True):
        assert set(sev) == {
            "cause",
            "mu",
            "sigma",
            "tail_threshold_usd",
            "tail_shape_xi",
            "tail_scale_b",
            "mean_loss_usd",
        }
        assert cause["expected_annual_ground_up_loss_usd"] == pytest.approx(
            cause["claim_rate_per_year"] * sev["mean_loss_usd"], rel=1e-9
        )
    assert {d["cause"] for d in quote["drivers"]} <= set(CLAIM_CAUSES)
    assert QuoteSchema().validate(quote) == {}  # every key the engine sent is documented

    # Fetched and replayed: the causes exactly as first returned, to the byte.
    fetched = client.get(f"/v1/quotes/{quote['quote_id']}", headers=auth)
    replayed = _post(client, auth, body, key="causes-1")
    for again in (fetched, replayed):
        assert again.get_json()["causes"] == quote["causes"]
        assert again.data == response.data
