"""Named vendors in the self-assessment: the API's ``systemic`` part and the page's table.

Oracle: the domain function (models.underwriting.vendor_risk.vendor_risk on
the app's engine, active catalog, book years and seed) - tests/models/
underwriting/test_assessment_vendors.py ties that to ``training accumulate``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from models.underwriting.assessment import REFERENCE_POLICY
from models.underwriting.book_model import BookModel
from models.underwriting.quote_engine import QuoteEngine
from models.underwriting.vendor_risk import vendor_risk
from service.assessments.views import AssessmentSchema
from service.book.catalog import active_catalog
from tests.support.apps import make_app

YEARS, SEED = 5_000, 11
ANSWERS = {"population": 250_000, "mfa_remote": "partial"}
VENDORS = ["Nimbus", "Beacon Public Safety", "Harbor Networks"]


@pytest.fixture
def app(database_url: str, engine: QuoteEngine) -> Iterator[Flask]:
    application = make_app(
        database_url,
        POLISURE_QUOTE_ENGINE=engine,
        POLISURE_BOOK_YEARS=YEARS,
        POLISURE_BOOK_SEED=SEED,
    )
    yield application
    application.extensions["polisure.db"].dispose()


def test_vendors_give_the_systemic_loss_the_domain_computes(
    app: Flask, client: FlaskClient, engine: QuoteEngine
) -> None:
    response = client.post("/v1/assessments", json={"exposure": {**ANSWERS, "vendors": VENDORS}})
    assert response.status_code == 200, response.json
    body = response.json
    assert AssessmentSchema().validate(body) == {}
    city = {**ANSWERS, **body["assumed_values"]}
    with app.app_context():
        catalog = active_catalog().catalog
    expected = vendor_risk(
        BookModel(engine), city, VENDORS, REFERENCE_POLICY, catalog, years=YEARS, seed=SEED
    )
    assert body["systemic"] == expected
    assert body["systemic"]["years"] == YEARS and body["systemic"]["seed"] == SEED
    assert {v["vendor"] for v in body["systemic"]["vendors"]} == set(VENDORS)
    # the vendors change nothing else: they are not a model feature
    plain = client.post("/v1/assessments", json={"exposure": ANSWERS}).json
    assert "systemic" not in plain
    assert {k: v for k, v in body.items() if k != "systemic"} == plain


@pytest.mark.parametrize(
    ("vendors", "bad"),
    [(["Nimbus", "  "], "exposure.vendors.1"), (["a|b"], "exposure.vendors.0")],
)
def test_vendor_names_follow_the_quotes_rules(client: FlaskClient, vendors: list, bad: str) -> None:
    response = client.post("/v1/assessments", json={"exposure": {**ANSWERS, "vendors": vendors}})
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [bad]


def _form(vendors: str) -> MultiDict:
    return MultiDict([("population", "250,000"), ("mfa_remote", "partial"), ("vendors", vendors)])


def test_the_page_shows_each_vendor_s_loss_and_the_cities_sharing_it(
    client: FlaskClient,
) -> None:
    api = client.post("/v1/assessments", json={"exposure": {**ANSWERS, "vendors": VENDORS}}).json
    html = client.post(
        "/assess?lang=en", data=_form("Nimbus\n\nBeacon Public Safety\nHarbor Networks\n")
    )
    assert html.status_code == 200
    page = html.get_data(as_text=True)
    table = re.search(r'data-testid="vendor-risk">(.*?)</table>', page, re.S)
    assert table is not None
    rows = re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', table.group(1), re.S)
    assert [name for name, _ in rows] == [v["vendor"] for v in api["systemic"]["vendors"]]
    for (_name, cells), vendor in zip(rows, api["systemic"]["vendors"], strict=True):
        if vendor["events"]:
            assert f"${vendor['aal_usd']:,.0f}" in cells
            assert f"${vendor['loss_1_in_100_usd']:,.0f}" in cells
        else:
            assert "no event in our catalog" in cells
        assert f"{vendor['reference_cities']:,}" in cells
    kept = re.search(r'<textarea[^>]*name="vendors"[^>]*>(.*?)</textarea>', page, re.S)
    assert kept is not None and kept.group(1).split() == [
        "Nimbus",
        "Beacon",
        "Public",
        "Safety",
        "Harbor",
        "Networks",
    ]
    chinese = client.post("/assess?lang=zh-CN", data=_form("Nimbus")).get_data(as_text=True)
    assert "通过供应商与其他城市共担的风险" in chinese


def test_a_bad_vendor_name_is_marked_beside_the_question(client: FlaskClient) -> None:
    response = client.post("/assess?lang=zh-CN", data=_form("Nimbus\nA|B"))
    assert response.status_code == 422
    block = re.search(r'id="q-vendors">(.*?)</div>', response.get_data(as_text=True), re.S)
    assert block is not None and "不能包含“|”" in block.group(1)
