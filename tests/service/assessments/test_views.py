"""POST /v1/assessments and the /assess page: shape, validation, privacy, headers.

The oracle for every number is the domain function itself
(models.underwriting.assessment.CityAssessor on the same engine): the HTTP layer must
carry its result unchanged, store nothing and log nothing the city typed.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode
from sqlalchemy import create_engine, inspect, text
from werkzeug.datastructures import MultiDict

from models.spec.contract import CLAIM_CAUSES
from models.spec.fields import MODEL_FIELDS
from models.underwriting.assessment import CityAssessor
from models.underwriting.quote_engine import QuoteEngine
from service.assessments.cause_mix import CAUSE_LABELS
from service.assessments.form import parse_answers
from service.assessments.views import AssessmentSchema
from tests.support.apps import make_app
from tests.support.city import city_exposure

# A population no default or fixture uses: if it shows up in a log, the log leaked it.
MARKER_POPULATION = 273_911
ANSWERS = {
    "population": MARKER_POPULATION,
    "mfa_remote": "partial",
    "backup_isolation": "online",
    "critical_services": ["water", "transit"],
    "monitoring_24x7": False,
    "edr_coverage_pct": 60.0,
}


def _row_counts(url: str) -> dict[str, int]:
    db = create_engine(url)
    try:
        with db.connect() as connection:
            return {
                t: connection.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one()
                for t in inspect(connection).get_table_names()
            }
    finally:
        db.dispose()


def test_api_answers_without_a_key_exactly_what_the_domain_computes(
    client: FlaskClient, engine: QuoteEngine
) -> None:
    response = client.post("/v1/assessments", json={"exposure": ANSWERS})
    assert response.status_code == 200, response.json
    body = response.json
    assert body == CityAssessor(engine).assess(ANSWERS)
    assert body["answered_fields"] == [f.name for f in MODEL_FIELDS if f.name in ANSWERS]
    assert set(body["unanswered_fields"]) == {f.name for f in MODEL_FIELDS} - set(ANSWERS)
    assert body["premium_range_usd"]["low"] < body["premium_range_usd"]["high"]
    assert body["reference_policy"]["limit_usd"] == 5_000_000
    assert body["reference_policy"]["retention_usd"] == 100_000
    for rec in body["recommendations"]:
        assert rec["expected_loss_change_usd"] < 0
        assert {"field", "value", "premium_change_usd", "action"} <= set(rec)
    assert response.headers["Cache-Control"] == "no-store"
    # CONTRACT §6: one entry per cause whose losses add up to the assessment's
    assert [c["cause"] for c in body["causes"]] == list(CLAIM_CAUSES)
    for total in ("expected_annual_ground_up_loss_usd", "expected_loss_usd"):
        parts = math.fsum(c[total] for c in body["causes"])
        assert parts == pytest.approx(body[total], rel=1e-9), total
    assert {d["cause"] for d in body["drivers"]} <= {*CLAIM_CAUSES, "all causes"}
    assert AssessmentSchema().validate(body) == {}  # every key the engine sent is documented


@pytest.mark.parametrize(
    ("exposure", "bad"),
    [
        ({"population": True}, "exposure.population"),  # a boolean is not a number
        ({"edr_coverage_pct": 101}, "exposure.edr_coverage_pct"),
        ({"mfa_remote": "sometimes"}, "exposure.mfa_remote"),
        ({"sensitive_data": ["health", "dna"]}, "exposure.sensitive_data.1"),
        ({"populaton": 5000}, "exposure.populaton"),
        (
            {"iot_device_count": 10, "ot_device_count": 5, "internet_exposed_devices": 99},
            "exposure.internet_exposed_devices",
        ),
    ],
)
def test_bad_answers_are_a_422_naming_the_field(
    client: FlaskClient, exposure: dict, bad: str
) -> None:
    response = client.post("/v1/assessments", json={"exposure": {**ANSWERS, **exposure}})
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [bad]
    assert bad in response.json["error"]["message"]


def test_nothing_is_stored_or_logged(
    client: FlaskClient, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = _row_counts(database_url)
    with caplog.at_level(logging.DEBUG):
        assert client.post("/v1/assessments", json={"exposure": ANSWERS}).status_code == 200
        form = {"population": str(MARKER_POPULATION), "mfa_remote": "partial"}
        assert client.post("/assess", data=form).status_code == 200
    assert _row_counts(database_url) == before
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert str(MARKER_POPULATION) not in logged and "273,911" not in logged


def test_rate_limited_per_client_address(database_url: str, engine: QuoteEngine) -> None:
    app = make_app(
        database_url, POLISURE_QUOTE_ENGINE=engine, POLISURE_ASSESSMENT_RATE_LIMIT="2 per minute"
    )
    client = app.test_client()
    body = {"exposure": {"population": 50_000}}
    first = {"REMOTE_ADDR": "10.0.0.1"}
    assert [
        client.post("/v1/assessments", json=body, environ_base=first).status_code for _ in range(3)
    ] == [200, 200, 429]
    other = client.post("/v1/assessments", json=body, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200
    app.extensions["polisure.db"].dispose()


def test_an_engine_without_a_self_assessment_is_a_503(database_url: str) -> None:
    """The test engine implements the seam with no self-assessor (tests/support/fake_engine.py)."""
    app = make_app(database_url)  # the fake engine
    response = app.test_client().post("/v1/assessments", json={"exposure": ANSWERS})
    assert response.status_code == 503
    assert "needs the model engine" in response.json["error"]["message"]
    app.extensions["polisure.db"].dispose()


def test_every_assessment_uses_the_engine_s_one_assessor(
    client: FlaskClient, engine: QuoteEngine
) -> None:
    client.post("/v1/assessments", json={"exposure": ANSWERS})
    first = engine.self_assessor()
    assert client.post("/v1/assessments", json={"exposure": ANSWERS}).status_code == 200
    assert engine.self_assessor() is first  # built once per engine, kept by it


def _assert_page_headers(response) -> None:  # type: ignore[no-untyped-def]
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp and "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_form_has_every_field_by_name_and_no_script(client: FlaskClient) -> None:
    response = client.get("/assess")
    assert response.status_code == 200
    _assert_page_headers(response)
    html = response.get_data(as_text=True)
    for f in MODEL_FIELDS:
        assert f'name="{f.name}"' in html, f.name
    assert "<script" not in html and "style=" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    with client.get(re.search(r'href="(/assess/static/[^"]+\.css)"', html).group(1)) as css:
        assert css.status_code == 200 and "@media print" in css.get_data(as_text=True)
        _assert_page_headers(css)


def test_posting_the_form_without_javascript_renders_the_result(
    client: FlaskClient, engine: QuoteEngine
) -> None:
    form = MultiDict(
        [
            ("population", "273,911"),
            ("mfa_remote", "partial"),
            ("backup_isolation", "online"),
            ("critical_services", "water"),
            ("critical_services", "transit"),
            ("monitoring_24x7", "no"),
            ("edr_coverage_pct", "60%"),
            ("ot_device_count", ""),  # don't know
        ]
    )
    response = client.post("/assess", data=form)
    assert response.status_code == 200
    _assert_page_headers(response)
    html = response.get_data(as_text=True)
    expected = CityAssessor(engine).assess(ANSWERS)
    score = re.search(r'data-testid="risk-score"><span class="num">(\d+)<', html)
    assert score and int(score.group(1)) == round(expected["risk_score"])
    assert f"Grade {expected['risk_grade']}" in html
    assert html.count('data-testid="recommendation"') == len(expected["recommendations"])
    assert 'data-testid="drivers-chart"' in html
    table = re.search(r'data-testid="cause-mix">(.*?)</table>', html, re.S)
    assert table is not None
    labels = re.findall(r'<th scope="row">([^<]+)</th>', table.group(1))
    by_loss = sorted(expected["causes"], key=lambda c: -c["expected_annual_ground_up_loss_usd"])
    assert labels == [CAUSE_LABELS[c["cause"]] for c in by_loss]
    assert f"${expected['premium_range_usd']['low']:,.0f} to" in html
    assert 'value="273,911"' in html  # the answers stay in the form to edit


def test_invalid_form_answers_re_render_with_the_message_beside_the_field(
    client: FlaskClient,
) -> None:
    form = MultiDict(
        [
            ("population", "12"),  # below the 1,000 minimum
            ("edr_coverage_pct", "most"),
            ("sensitive_data", "health"),
            ("sensitive_data", "none"),
            ("iot_device_count", "10"),
            ("ot_device_count", "5"),
            ("internet_exposed_devices", "99"),  # more than all devices together
        ]
    )
    response = client.post("/assess", data=form)
    assert response.status_code == 422
    _assert_page_headers(response)
    html = response.get_data(as_text=True)
    errors = {}
    for name in ("population", "edr_coverage_pct", "sensitive_data", "internet_exposed_devices"):
        block = re.search(rf'<div class="q has-error" id="q-{name}">(.*?)</div>', html, re.S)
        assert block and 'class="error"' in block.group(1), name
        errors[name] = block.group(1)
        assert f'href="#q-{name}"' in html  # the summary links to the question
    assert "Enter a number from 1,000 to 50,000,000." in errors["population"]
    assert (
        "&#34;Connected IoT devices&#34; plus &#34;OT controllers&#34;"
        in errors["internet_exposed_devices"]
    )
    assert 'data-testid="risk-score"' not in html


def test_set_questions_tell_dont_know_from_none_of_these() -> None:
    def answers(pairs: list[tuple[str, str]]) -> dict | None:
        return parse_answers(MultiDict(pairs))[1]

    assert answers([]) == {}  # nothing ticked: don't know (left out)
    assert answers([("sensitive_data", "none")]) == {"sensitive_data": []}
    assert answers([("sensitive_data", "health"), ("critical_services", "water")]) == {
        "sensitive_data": ["health"],
        "critical_services": ["water"],
    }
    assert answers([("monitoring_24x7", "")]) == {}
    assert answers([("monitoring_24x7", "no"), ("population", " 1,200 ")]) == {
        "monitoring_24x7": False,
        "population": 1200,
    }


def test_fully_answered_form_shows_one_premium(client: FlaskClient) -> None:
    city = city_exposure()
    pairs: list[tuple[str, str]] = []
    for f in MODEL_FIELDS:
        value = city[f.name]
        if f.kind == "set":
            pairs += [(f.name, m) for m in value] or [(f.name, "none")]
        elif f.kind == "bool":
            pairs.append((f.name, "yes" if value else "no"))
        else:
            pairs.append((f.name, str(value)))
    html = client.post("/assess", data=MultiDict(pairs)).get_data(as_text=True)
    assert "You answered every question, so this is a single figure." in html
    assert "Based on 40 of 40 answers" in html


def test_schemathesis_finds_no_5xx_on_assessments(app: Flask) -> None:
    # Generated bodies (valid and invalid) against the real engine: never a 5xx.
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operation = schema["/v1/assessments"]["POST"]
    seen: dict[int, int] = {}
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(mode))
        def check(case: Any) -> None:
            response = case.call()
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            assert response.status_code < 500, response.text

        check()
    assert seen.get(200, 0) > 0 and seen.get(422, 0) > 0, seen
