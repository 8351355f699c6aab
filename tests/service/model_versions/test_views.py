"""Model registry API: listing, detail, roles, promotion, refusals, audit and rollback.

The app runs the real quote engine on a private models directory holding two
versions trained on the tiny test portfolio (tests/support/model_versions.py).
Oracles: metrics and model cards are the bundle's own files; which version
priced a quote is told by its premium, computed independently by loading
that version with models.underwriting.quote_engine.load_quote_engine.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models.versions.registry import Registry
from service.model_versions import promotions
from service.storage.db import get_db
from service.storage.tables import ModelPromotion
from tests.support import portfolio as pipeline_portfolio
from tests.support.apps import make_app
from tests.support.city import quote_body
from tests.support.model_versions import (
    DAMAGES,
    REFUSAL_REASONS,
    TwoVersions,
    add_broken_copy,
    copy_models,
    premiums_by_version,
)


@pytest.fixture(scope="module")
def premiums(two_versions: TwoVersions) -> dict[str, float]:
    """The premium of the test city under each version (the oracle)."""
    return premiums_by_version(two_versions)


@pytest.fixture
def registry(two_versions: TwoVersions, tmp_path: Path) -> Registry:
    return copy_models(two_versions, tmp_path / "models")


@pytest.fixture
def model_app(database_url: str, registry: Registry) -> Iterator[Flask]:
    app = make_app(
        database_url,
        POLISURE_QUOTE_ENGINE=None,
        POLISURE_ENGINE="models.underwriting.quote_engine:load_quote_engine",
        POLISURE_MODELS_DIR=str(registry.root),
    )
    yield app
    app.extensions["polisure.db"].dispose()


@pytest.fixture
def keys(model_app: Flask) -> dict[str, str]:
    """Bearer keys: an insurer of tenant acme and an admin of tenant ops."""

    def create(tenant: str, role: str) -> str:
        result = model_app.test_cli_runner().invoke(
            args=["keys", "create", "--tenant", tenant, "--role", role]
        )
        assert result.exit_code == 0, result.output
        return result.stdout.strip().splitlines()[-1]

    return {"insurer": create("acme", "insurer"), "admin": create("ops", "admin")}


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _quote(client: FlaskClient, key: str) -> tuple[str, float]:
    response = client.post("/v1/quotes", json=quote_body(), headers=_auth(key))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert response.headers["X-Model-Version"] == body["model_version"]
    return body["model_version"], body["premium_usd"]


def _audit(app: Flask) -> list[tuple[str, str | None, str]]:
    with get_db(app).session() as session:
        rows = session.scalars(select(ModelPromotion).order_by(ModelPromotion.id))
        return [(r.version, r.previous_version, r.outcome) for r in rows]


def test_any_key_lists_versions_with_the_bundles_own_metrics(
    model_app: Flask, keys: dict[str, str], two_versions: TwoVersions, registry: Registry
) -> None:
    client = model_app.test_client()
    assert client.get("/v1/models").status_code == 401
    listing = client.get("/v1/models", headers=_auth(keys["insurer"])).get_json()
    assert listing["active_version"] == two_versions.a
    assert listing["previous_version"] is None  # A was made active outside the API
    # oldest first by name: both test bundles may be trained in the same second, then the hash decides
    assert [m["version"] for m in listing["models"]] == sorted([two_versions.a, two_versions.b])
    for model in listing["models"]:
        metadata = json.loads((registry.root / model["version"] / "metadata.json").read_text())
        assert model["active"] == (model["version"] == two_versions.a)
        assert model["created_at"] == metadata["created_at"]
        assert model["metrics"]["gini_xgboost"] == metadata["metrics"]["gini_xgboost"]
        assert set(model["metrics"]) == {
            "poisson_deviance_xgboost",
            "poisson_deviance_glm",
            "gini_xgboost",
            "gini_glm",
            "ae_overall_xgboost",
            "lift_top_decile_xgboost",
            "holdout_policies",
            "holdout_claims",
        }
    detail = client.get(f"/v1/models/{two_versions.b}", headers=_auth(keys["admin"])).get_json()
    metadata = json.loads((registry.root / two_versions.b / "metadata.json").read_text())
    assert detail["metrics"] == metadata["metrics"]
    assert detail["model_card"] == (registry.root / two_versions.b / "model_card.md").read_text()
    assert detail["seed"] == pipeline_portfolio.TEST_SEED + 1
    assert detail["promoted_by"] is None and detail["promotions"] == []


def test_unknown_versions_are_404_and_insurers_may_not_promote(
    model_app: Flask, keys: dict[str, str], two_versions: TwoVersions, registry: Registry
) -> None:
    client = model_app.test_client()
    for path in ("/v1/models/2020-01-01T00-00-00Z-00000000", "/v1/models/..%2FACTIVE"):
        response = client.get(path, headers=_auth(keys["insurer"]))
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"
    promote = f"/v1/models/{two_versions.b}/promote"
    assert client.post(promote).status_code == 401
    forbidden = client.post(promote, headers=_auth(keys["insurer"]))
    assert forbidden.status_code == 403
    missing = client.post(
        "/v1/models/2020-01-01T00-00-00Z-00000000/promote", headers=_auth(keys["admin"])
    )
    assert missing.status_code == 404
    assert registry.active_version() == two_versions.a and _audit(model_app) == []


def test_promotion_switches_quotes_is_audited_and_rolls_back(
    model_app: Flask, keys: dict[str, str], two_versions: TwoVersions, premiums: dict[str, float]
) -> None:
    client = model_app.test_client()
    a, b = two_versions.a, two_versions.b
    assert premiums[a] != premiums[b]
    assert _quote(client, keys["insurer"]) == (a, pytest.approx(premiums[a], rel=1e-12))
    keyed = {**_auth(keys["insurer"]), "Idempotency-Key": "before-promotion"}
    first = client.post("/v1/quotes", json=quote_body(), headers=keyed)

    response = client.post(f"/v1/models/{b}/promote", headers=_auth(keys["admin"]))
    assert response.status_code == 200, response.get_data(as_text=True)
    done = response.get_json()
    assert (done["version"], done["previous_version"], done["outcome"]) == (b, a, "promoted")
    assert done["active_version"] == b
    assert done["promoted_by"] == {"tenant_id": "ops", "key_prefix": keys["admin"][:12]}
    # This worker serves B from its very next request.
    assert _quote(client, keys["insurer"]) == (b, pytest.approx(premiums[b], rel=1e-12))
    # A replay is the stored quote, still A's, and says so.
    replay = client.post("/v1/quotes", json=quote_body(), headers=keyed)
    assert replay.get_data() == first.get_data() and replay.headers["X-Model-Version"] == a
    listing = client.get("/v1/models", headers=_auth(keys["insurer"])).get_json()
    assert (listing["active_version"], listing["previous_version"]) == (b, a)
    detail = client.get(f"/v1/models/{b}", headers=_auth(keys["insurer"])).get_json()
    # An insurer sees when, never who (another tenant's name and key prefix).
    assert detail["promoted_by"] is None and detail["promoted_at"] == done["promoted_at"]
    assert all(p["promoted_by"] is None for p in detail["promotions"])
    assert keys["admin"][:12] not in client.get(
        f"/v1/models/{b}", headers=_auth(keys["insurer"])
    ).get_data(as_text=True)
    operator = client.get(f"/v1/models/{b}", headers=_auth(keys["admin"])).get_json()
    assert operator["promoted_by"] == {"tenant_id": "ops", "key_prefix": keys["admin"][:12]}
    ready = client.get("/readyz").get_json()
    assert (ready["model_version"], ready["active_model_version"]) == (b, b)

    # Rollback: promote the previous version named by the listing.
    rollback = client.post(
        f"/v1/models/{listing['previous_version']}/promote", headers=_auth(keys["admin"])
    )
    assert rollback.get_json()["outcome"] == "promoted"
    assert _quote(client, keys["insurer"]) == (a, pytest.approx(premiums[a], rel=1e-12))
    assert _audit(model_app) == [(b, a, "promoted"), (a, b, "promoted")]


def test_promoting_the_active_version_changes_nothing(
    model_app: Flask, keys: dict[str, str], two_versions: TwoVersions, registry: Registry
) -> None:
    pointer = registry.root / "ACTIVE"
    before = os.stat(pointer)
    response = model_app.test_client().post(
        f"/v1/models/{two_versions.a}/promote", headers=_auth(keys["admin"])
    )
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "unchanged"
    after = os.stat(pointer)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert _audit(model_app) == [(two_versions.a, two_versions.a, "unchanged")]


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_bundle_is_refused_and_the_active_one_keeps_pricing(
    damage: str,
    model_app: Flask,
    keys: dict[str, str],
    two_versions: TwoVersions,
    registry: Registry,
    premiums: dict[str, float],
) -> None:
    broken = add_broken_copy(registry, two_versions.b, damage)
    client = model_app.test_client()
    response = client.post(f"/v1/models/{broken}/promote", headers=_auth(keys["admin"]))
    assert response.status_code == 409
    error: dict[str, Any] = response.get_json()["error"]
    assert error["code"] == "bundle_rejected"
    assert REFUSAL_REASONS[damage] in error["message"]
    assert f"{two_versions.a} stays active" in error["message"]
    assert str(registry.root) not in error["message"]  # no server paths in the answer
    assert registry.active_version() == two_versions.a
    assert _quote(client, keys["insurer"]) == (
        two_versions.a,
        pytest.approx(premiums[two_versions.a], rel=1e-12),
    )
    ((version, previous, outcome),) = _audit(model_app)
    assert (version, previous, outcome) == (broken, two_versions.a, "refused")
    detail = client.get(f"/v1/models/{broken}", headers=_auth(keys["admin"])).get_json()
    assert REFUSAL_REASONS[damage] in detail["promotions"][0]["reason"]


def test_openapi_documents_the_registry_api(model_app: Flask) -> None:
    spec = model_app.test_client().get("/openapi.json").get_json()
    promote = spec["paths"]["/v1/models/{version}/promote"]["post"]
    assert {"200", "401", "403", "404", "409", "429"} <= set(promote["responses"])
    assert promote["security"] == [{"bearerAuth": []}]
    assert {"/v1/models", "/v1/models/{version}"} <= set(spec["paths"])
    assert "previous_version" in spec["components"]["schemas"]["ModelList"]["properties"]


def test_concurrent_promotions_run_one_after_the_other(
    model_app: Flask,
    keys: dict[str, str],
    two_versions: TwoVersions,
    registry: Registry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: two promotions at once both said 'promoted' with the same previous version,
    so the audit chain skipped one and rollback went to the wrong version."""

    verify = promotions.verify_loads

    def slow_verify(reg: Registry, version: str) -> str | None:
        time.sleep(0.3)  # both requests inside the critical section at once, without the lock
        return verify(reg, version)

    monkeypatch.setattr(promotions, "verify_loads", slow_verify)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def promote_b() -> None:
        barrier.wait()
        done = promotions.promote(get_db(model_app), registry, two_versions.b, "ops", "psk_x")
        outcomes.append(done.outcome)

    threads = [threading.Thread(target=promote_b) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["promoted", "unchanged"]
    assert _audit(model_app) == [
        (two_versions.b, two_versions.a, "promoted"),
        (two_versions.b, two_versions.b, "unchanged"),
    ]
    assert registry.active_version() == two_versions.b
