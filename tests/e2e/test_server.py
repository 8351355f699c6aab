"""End to end against the real gunicorn server (2 workers): quote, fetch, replay,
tenant isolation, every error status, metrics, logs and graceful shutdown."""

from __future__ import annotations

import json
import signal
import subprocess
from typing import Any

import pytest
import requests

from models.spec.contract import COVERAGE_PARTS
from models.underwriting.quote_engine import load_quote_engine
from tests.support.city import city_exposure, quote_body
from tests.support.server import CROSS_PROCESS_REL, Server

pytestmark = pytest.mark.e2e
TIMEOUT = 10


@pytest.fixture(scope="module")
def insurer(server: Server) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.create_key('acme', 'insurer')}"}


def _error(response: requests.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status
    assert error["request_id"] == response.headers["X-Request-ID"]
    if code:
        assert error["code"] == code
    return error


def test_quote_fetch_and_idempotent_replay(server: Server, insurer: dict[str, str]) -> None:
    url = f"{server.base_url}/v1/quotes"
    with requests.Session() as s:
        first = s.post(
            url, json=quote_body(), headers={**insurer, "Idempotency-Key": "e2e-1"}, timeout=TIMEOUT
        )
        assert first.status_code == 201, first.text
        quote = first.json()
        assert quote["decision"] in ("quote", "refer", "decline")
        # The server prices exactly as the engine does in-process (the shipped bundle).
        policy = {"coverages": list(COVERAGE_PARTS), "period_days": 365, **quote_body()["policy"]}
        expected = load_quote_engine().quote(city_exposure(), policy)
        assert quote["model_version"] == load_quote_engine().model_version
        for name in ("premium_usd", "expected_loss_usd", "claim_probability", "risk_score"):
            assert quote[name] == pytest.approx(expected[name], rel=CROSS_PROCESS_REL)
        # Several fetches and replays: whichever worker answers, the bytes are the same.
        for _ in range(4):
            fetched = s.get(f"{url}/{quote['quote_id']}", headers=insurer, timeout=TIMEOUT)
            assert fetched.content == first.content
            replay = s.post(
                url,
                json=quote_body(),
                headers={**insurer, "Idempotency-Key": "e2e-1"},
                timeout=TIMEOUT,
            )
            assert replay.status_code == 201
            assert replay.content == first.content
            assert replay.headers["Idempotent-Replayed"] == "true"
        other_body = s.post(
            url,
            json=quote_body(limit_usd=2e6),
            headers={**insurer, "Idempotency-Key": "e2e-1"},
            timeout=TIMEOUT,
        )
        _error(other_body, 409, "idempotency_key_reused")


def test_tenants_never_see_each_others_quotes(server: Server, insurer: dict[str, str]) -> None:
    quote = requests.post(
        f"{server.base_url}/v1/quotes", json=quote_body(), headers=insurer, timeout=TIMEOUT
    ).json()
    other = {"Authorization": f"Bearer {server.create_key('globex', 'insurer')}"}
    response = requests.get(
        f"{server.base_url}/v1/quotes/{quote['quote_id']}", headers=other, timeout=TIMEOUT
    )
    _error(response, 404, "not_found")


def test_each_error_status(server: Server, insurer: dict[str, str]) -> None:
    url = f"{server.base_url}/v1/quotes"
    raw = {**insurer, "Content-Type": "application/json"}
    _error(requests.post(url, data='{"exposure": NaN}', headers=raw, timeout=TIMEOUT), 400)
    _error(requests.post(url, json=quote_body(), timeout=TIMEOUT), 401, "unauthorized")
    _error(
        requests.post(
            url, json=quote_body(), headers={"Authorization": "Bearer psk_x"}, timeout=TIMEOUT
        ),
        401,
    )
    admin = {"Authorization": f"Bearer {server.create_key('acme', 'admin')}"}
    _error(requests.post(url, json=quote_body(), headers=admin, timeout=TIMEOUT), 403)
    _error(requests.get(f"{server.base_url}/nowhere", timeout=TIMEOUT), 404)
    _error(requests.delete(url, headers=insurer, timeout=TIMEOUT), 405, "method_not_allowed")
    big = json.dumps({"exposure": {"vendors": ["v" * 200] * 1500}})
    _error(requests.post(url, data=big, headers=raw, timeout=TIMEOUT), 413, "body_too_large")
    bad = quote_body(retention_usd=1e7)
    bad["exposure"]["population"] = True
    error = _error(requests.post(url, json=bad, headers=insurer, timeout=TIMEOUT), 422)
    assert set(error["fields"]) == {"exposure.population", "policy.retention_usd"}


def test_rate_limit_429(server: Server) -> None:
    # 40 per minute per key, counted per worker in memory: at most 80 pass on 2 workers.
    headers = {"Authorization": f"Bearer {server.create_key('hasty', 'insurer')}"}
    with requests.Session() as s:
        for _ in range(120):
            response = s.get(f"{server.base_url}/v1/quotes/q_x", headers=headers, timeout=TIMEOUT)
            if response.status_code == 429:
                break
    _error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0


def test_probes_docs_and_metrics(server: Server, insurer: dict[str, str]) -> None:
    base = server.base_url
    assert requests.get(f"{base}/healthz", timeout=TIMEOUT).json() == {"status": "ok"}
    assert requests.get(f"{base}/readyz", timeout=TIMEOUT).json()["status"] == "ready"
    assert requests.get(f"{base}/docs", timeout=TIMEOUT).status_code == 200
    assert "/v1/quotes" in requests.get(f"{base}/openapi.json", timeout=TIMEOUT).json()["paths"]
    quote = requests.post(f"{base}/v1/quotes", json=quote_body(), headers=insurer, timeout=TIMEOUT)
    metrics = requests.get(f"{base}/metrics", timeout=TIMEOUT).text
    # Aggregated over both workers (multi-process mode).
    assert f'polisure_quotes_total{{decision="{quote.json()["decision"]}"}}' in metrics
    assert 'endpoint="/v1/quotes",method="POST",status="201"' in metrics


def test_json_logs_carry_the_request_id(server: Server) -> None:
    requests.get(
        f"{server.base_url}/healthz", headers={"X-Request-ID": "e2e-trace-42"}, timeout=TIMEOUT
    )
    lines = [
        json.loads(line)
        for line in server.log_path.read_text().splitlines()
        if line.startswith("{")
    ]
    mine = [entry for entry in lines if entry.get("request_id") == "e2e-trace-42"]
    assert mine and mine[0]["path"] == "/healthz" and mine[0]["status"] == 200
    # one line a request, the app's: gunicorn's own access line (no request id) is not written
    assert not [entry for entry in lines if entry.get("logger") == "gunicorn.access"]
    assert any(entry.get("logger") == "gunicorn.error" for entry in lines)  # its other lines are


def test_zz_graceful_shutdown(server: Server) -> None:
    """Last (zz): SIGTERM lets gunicorn stop its workers cleanly and exit 0."""
    server.process.send_signal(signal.SIGTERM)
    try:
        assert server.process.wait(timeout=30) == 0
    except subprocess.TimeoutExpired:
        pytest.fail("gunicorn did not stop within 30 s of SIGTERM")
