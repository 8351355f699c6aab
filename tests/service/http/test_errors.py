"""Every error has one JSON shape and the status CONTRACT §5 names; nothing is a 5xx."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.apps import make_app
from tests.support.city import quote_body


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    # HTTP-layer tests: SQLite is enough (persistence runs on both in test_quotes).
    return f"sqlite:///{tmp_path / 'polisure.sqlite3'}"


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "fields", "request_id"}
    assert error["status"] == status
    assert error["request_id"] == response.headers["X-Request-ID"]
    return error


def _raw(client: FlaskClient, auth: dict[str, str], data: bytes | str) -> Any:
    return client.post(
        "/v1/quotes", data=data, headers={**auth, "Content-Type": "application/json"}
    )


@pytest.mark.parametrize(
    "data",
    [
        "{",
        '{"exposure": NaN}',
        '{"exposure": {"population": Infinity}}',
        '{"policy": {"limit_usd": -Infinity}}',
        '{"policy": {"limit_usd": 1e400}}',
        '{"policy": {}, "policy": {}}',
        "1" * 5000,
        "[" * 50_000 + "]" * 50_000,
        b'{"exposure": "\xff"}',
    ],
    ids=[
        "truncated",
        "nan",
        "infinity",
        "minus-inf",
        "overflow",
        "duplicate-key",
        "huge-int",
        "deep-nesting",
        "bad-utf8",
    ],
)
def test_malformed_json_is_400(client: FlaskClient, auth: dict[str, str], data: Any) -> None:
    error = _error(_raw(client, auth, data), 400)
    assert error["code"] == "malformed_request"
    assert error["message"].startswith("Request body is not valid JSON")


def test_every_invalid_field_is_named_in_one_422(client: FlaskClient, auth: dict[str, str]) -> None:
    body = quote_body(retention_usd=9e6, coverages=["breach_response", "war"], period_days=0)
    exposure = body["exposure"]
    exposure["population"] = True  # a boolean for a number
    exposure["security_fte"] = 1.5e9  # out of range
    exposure["it_ot_segmentation"] = "airgapped"  # unknown enum value
    exposure["monitoring_24x7"] = "sometimes"
    exposure["internet_exposed_devices"] = 10**8  # > iot + ot devices
    del exposure["mfa_remote"]
    exposure["favourite_colour"] = "blue"
    response = client.post("/v1/quotes", json=body, headers=auth)
    error = _error(response, 422)
    assert error["code"] == "invalid_fields"
    assert set(error["fields"]) == {
        "exposure.population",
        "exposure.security_fte",
        "exposure.it_ot_segmentation",
        "exposure.monitoring_24x7",
        "exposure.mfa_remote",
        "exposure.favourite_colour",
        "exposure.internet_exposed_devices",
        "policy.retention_usd",
        "policy.coverages.1",
        "policy.period_days",
    }
    # The cross-field rule names the fields it compares.
    body = quote_body()
    body["exposure"]["internet_exposed_devices"] = 10**8
    error = _error(client.post("/v1/quotes", json=body, headers=auth), 422)
    assert (
        "iot_device_count + ot_device_count"
        in error["fields"]["exposure.internet_exposed_devices"][0]
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "body"),
        (None, "exposure"),  # no body at all
        ({}, "exposure"),
        ({"exposure": [], "policy": {"limit_usd": 1e6, "retention_usd": 0}}, "exposure"),
        (quote_body(limit_usd=False), "policy.limit_usd"),
        (quote_body(limit_usd="5000000"), "policy.limit_usd"),  # text is not a number
        (quote_body(limit_usd=99_999), "policy.limit_usd"),
        (quote_body(limit_usd=500_000_001), "policy.limit_usd"),
        (quote_body(retention_usd=-1), "policy.retention_usd"),
        (quote_body(retention_usd=5_000_000), "policy.retention_usd"),
        (quote_body(coverages=["cyber_extortion", "cyber_extortion"]), "policy.coverages"),
        (quote_body(coverages=[]), "policy.coverages"),
        (quote_body(coverages=[1]), "policy.coverages.0"),
        (quote_body(period_days=1_097), "policy.period_days"),
        (quote_body(period_days=30.5), "policy.period_days"),
        (quote_body(deductible=5), "policy.deductible"),
    ],
)
def test_invalid_policy_terms_are_422(
    client: FlaskClient, auth: dict[str, str], body: Any, field: str | None
) -> None:
    if body is None:
        response = client.post("/v1/quotes", headers=auth)
    else:
        response = client.post("/v1/quotes", json=body, headers=auth)
    if field is None:
        assert response.status_code == 201
        return
    assert field in _error(response, 422)["fields"]


def test_idempotency_key_header_is_validated(client: FlaskClient, auth: dict[str, str]) -> None:
    for bad in ("x" * 256, "has space"):
        response = client.post(
            "/v1/quotes", json=quote_body(), headers={**auth, "Idempotency-Key": bad}
        )
        assert set(_error(response, 422)["fields"]) == {"Idempotency-Key"}


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer psk_nope", "Basic dXNlcjpwYXNz", "Bearer " + "a" * 5000]
)
def test_missing_or_bad_key_is_401(client: FlaskClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.post("/v1/quotes", json=quote_body(), headers=headers)
    assert _error(response, 401)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_route_404_and_wrong_method_405(client: FlaskClient, auth: dict[str, str]) -> None:
    assert _error(client.get("/v2/anything", headers=auth), 404)["code"] == "not_found"
    response = client.delete("/v1/quotes", headers=auth)
    assert _error(response, 405)["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_body_over_256_kib_is_413(client: FlaskClient, auth: dict[str, str]) -> None:
    body = quote_body()
    body["exposure"]["vendors"] = ["v" * 200] * 1400  # ~290 KiB
    response = client.post(
        "/v1/quotes", data=json.dumps(body), headers={**auth, "Content-Type": "application/json"}
    )
    assert _error(response, 413)["code"] == "body_too_large"


def test_rate_limit_is_429_per_key_with_retry_after(database_url: str) -> None:
    app = make_app(database_url, POLISURE_RATE_LIMIT="2 per minute")
    runner, client = app.test_cli_runner(), app.test_client()
    keys = [
        runner.invoke(args=["keys", "create", "--tenant", t, "--role", "insurer"])
        .stdout.strip()
        .splitlines()[-1]
        for t in ("acme", "globex")
    ]
    first = {"Authorization": f"Bearer {keys[0]}"}
    statuses = [client.get("/v1/quotes/q_x", headers=first).status_code for _ in range(3)]
    assert statuses == [404, 404, 429]
    response = client.get("/v1/quotes/q_x", headers=first)
    assert _error(response, 429)["code"] == "rate_limited"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    # Another key has its own budget; probes are never limited.
    assert (
        client.get("/v1/quotes/q_x", headers={"Authorization": f"Bearer {keys[1]}"}).status_code
        == 404
    )
    assert all(client.get("/healthz").status_code == 200 for _ in range(5))


def test_an_unexpected_engine_failure_is_a_json_500(app: Flask, auth: dict[str, str]) -> None:
    class Broken:
        model_version, rating_plan_version = "m", "p"

        def quote(
            self, exposure: dict[str, Any], policy: dict[str, Any], marginal_tvar_usd: float = 0.0
        ) -> dict[str, Any]:
            raise ZeroDivisionError("bug")

    app.extensions["polisure.engine"]._engine = Broken()
    error = _error(app.test_client().post("/v1/quotes", json=quote_body(), headers=auth), 500)
    assert error["code"] == "internal_error"
    assert "bug" not in error["message"]  # internals stay in the logs


def test_request_id_is_kept_or_replaced(client: FlaskClient) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["X-Request-ID"] == "abc-123"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert len(replaced.headers["X-Request-ID"]) == 32
