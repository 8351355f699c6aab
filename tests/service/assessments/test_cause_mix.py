"""The causes of an assessment (CONTRACT §6) over HTTP and as the page's "Where the loss comes from".

Run on the fake engine's self-assessment (tests/support/fake_engine.py), so
they need no trained model. Oracle: its closed form. The unanswered fields are
the test city's, with 2 past incidents: lambda = 0.02 x (1 + 2/2) = 0.04 claims
a year, each 1e6 USD ground-up, so 40,000 USD a year before insurance, split
6:5:3:2:2:1:1 in 20 over ransomware, business email compromise, data breach,
vendor outage, other, OT disruption and privacy; the reference policy ($100k
retention, all coverages) keeps 900,000 of each claim, 36,000 USD a year.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models.spec.contract import CLAIM_CAUSES
from service.assessments.cause_mix import CAUSE_LABELS, cause_mix, through
from service.assessments.views import AssessmentSchema
from tests.support.apps import make_app
from tests.support.fake_engine import FakeAssessingEngine

ANSWERS = {"population": 250_000, "mfa_remote": "partial"}
#: The table the oracle gives: label, share, expected yearly loss before insurance.
EXPECTED_ROWS = [
    ("Ransomware", "30%", "$12,000"),
    ("Business email compromise", "25%", "$10,000"),
    ("Data breach", "15%", "$6,000"),
    ("Vendor outage", "10%", "$4,000"),  # ties keep CONTRACT §2's order
    ("Other incidents", "10%", "$4,000"),
    ("Disruption of control systems (OT)", "5%", "$2,000"),
    ("Privacy claims and fines", "5%", "$2,000"),
]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'polisure.sqlite3'}"  # nothing is stored: one backend


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    application = make_app(database_url, POLISURE_QUOTE_ENGINE=FakeAssessingEngine())
    yield application
    application.extensions["polisure.db"].dispose()


def test_api_causes_add_up_to_the_assessment_and_are_documented(client: FlaskClient) -> None:
    response = client.post("/v1/assessments", json={"exposure": ANSWERS})
    assert response.status_code == 200, response.json
    body = response.json
    assert AssessmentSchema().validate(body) == {}  # every key sent is documented
    causes = body["causes"]
    assert [c["cause"] for c in causes] == list(CLAIM_CAUSES)
    for total in ("expected_annual_ground_up_loss_usd", "expected_loss_usd"):
        assert math.fsum(c[total] for c in causes) == pytest.approx(body[total], rel=1e-9)
    assert body["expected_annual_ground_up_loss_usd"] == pytest.approx(40_000)
    assert body["expected_loss_usd"] == pytest.approx(36_000)
    assert math.fsum(c["claim_rate_per_year"] for c in causes) == pytest.approx(0.04, rel=1e-9)
    assert [d["cause"] for d in body["drivers"]] == ["ransomware"]  # past incidents


def test_result_page_shows_where_the_loss_comes_from_largest_first(client: FlaskClient) -> None:
    response = client.post("/assess", data={"population": "250,000", "mfa_remote": "partial"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    table = re.search(r'<table class="cause-mix" data-testid="cause-mix">(.*?)</table>', html, re.S)
    assert table is not None
    rows = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td class="amount">([^<]+)</td>'
        r'<td class="amount">([^<]+)</td></tr>',
        table.group(1),
    )
    assert rows == EXPECTED_ROWS
    # accessible: a caption and header cells for columns and rows
    assert "<caption" in table.group(1) and table.group(1).count('scope="col"') == 3
    assert "Where the loss comes from" in html
    # The page keeps its structure: score, drivers chart, then the table, then the fixes.
    order = [
        html.index(mark)
        for mark in (
            'data-testid="risk-score"',
            'data-testid="drivers-chart"',
            'data-testid="cause-mix"',
            '<section class="recs">',
        )
    ]
    assert order == sorted(order)
    # The one driver, past incidents, moves the claim rate of every cause.
    # (a size-and-context field: the baseline chart inside the drivers section)
    chart = re.search(r'<section[^>]*data-testid="drivers-chart".*?</section>', html, re.S)
    assert chart and "mostly through ransomware" in chart.group(0)


def test_shares_are_of_the_causes_sum_sorted_and_small_ones_say_so() -> None:
    causes = [
        {"cause": "other", "expected_annual_ground_up_loss_usd": 1.0},
        {"cause": "ransomware", "expected_annual_ground_up_loss_usd": 600.0},
        {"cause": "data_breach", "expected_annual_ground_up_loss_usd": 399.0},
    ]
    mix = cause_mix(causes)
    assert [row.cause for row in mix] == ["ransomware", "data_breach", "other"]
    assert [row.share_text for row in mix] == ["60%", "40%", "under 1%"]
    assert math.fsum(row.share for row in mix) == pytest.approx(1.0, rel=1e-12)
    assert [
        row.share for row in cause_mix([{**causes[0], "expected_annual_ground_up_loss_usd": 0.0}])
    ] == [0.0]


def test_every_cause_has_words_and_a_driver_says_which_it_moves() -> None:
    assert tuple(CAUSE_LABELS) == CLAIM_CAUSES
    assert through("ransomware") == "mostly through ransomware"
    assert through("business_email_compromise") == "mostly through business email compromise"
    assert through("ot_disruption") == "mostly through disruption of control systems (OT)"
