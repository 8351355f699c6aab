"""The compare report from predictions built from arrays: summary, words, captions, JSON.

The bundles' ``predict_losses`` and the premiums (QuoteEngine) are left to
tests/training/evaluation/test_champion.py, which trains bundles; here the
premiums are seeded arrays and the two models are the exact one (challenger)
and the flat cause mix (champion) of tests/training/evaluation/cause_book.py.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest

from models.spec.contract import CLAIM_CAUSES
from models.versions.metadata import CHALLENGER, CHAMPION, Metric, cause_metric
from tests.training.evaluation.cause_book import cause_book, flat_mix
from training.evaluation import table_names
from training.evaluation.champion import compare_predictions, premium_change
from training.reports.compare_report import CAPTIONS, json_ready, render_html, summary_text
from training.reports.metric_words import cause_words
from training.reports.plots import CAPTIONS as PLOT_CAPTIONS


@pytest.fixture(scope="module")
def result():
    book = cause_book(3000, 12)
    rng = np.random.default_rng(4)
    champion_usd = rng.uniform(1e4, 1e5, 3000)
    change = premium_change(champion_usd * rng.lognormal(0.0, 0.1, 3000), champion_usd)
    return compare_predictions(
        ("v-new", "v-old"),
        (book.exact(CHALLENGER), flat_mix(book, CHAMPION)),
        book.holdout,
        change,
    )


def _text(page: str) -> str:
    return html.unescape(re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,", page))


def test_the_page_opens_with_the_summary_and_the_recommendation(result):
    page = _text(render_html(result))
    order = ["Summary", "3,000 policies", "Poisson deviance per holdout policy", "Recommendation"]
    positions = [page.index(s) for s in order]
    assert positions == sorted(positions) and positions[-1] < page.index("Side by side")
    assert result["recommendation"]["line"] in page and result["recommendation"]["rule"] in page


def test_per_cause_tables_and_captioned_plots(result):
    page = _text(render_html(result))
    assert "Actual / expected claims by cause (exact 95% interval)" in page
    for cause in CLAIM_CAUSES:
        assert f"<td>{cause_words(cause)}</td>" in page
    assert page.count("<figure>") == 5 == page.count("data:image/png;base64,")
    for caption in (*CAPTIONS.values(), PLOT_CAPTIONS["cause_ae"], PLOT_CAPTIONS["cause_mix"]):
        assert caption in page


def test_no_raw_metric_key_in_the_page_nor_the_printout(result):
    keys = set(result["summary"]) | {m.value for m in Metric} | set(result["metrics"][CHALLENGER])
    keys |= {c for c in CLAIM_CAUSES if "_" in c}
    for doc in (_text(render_html(result)), summary_text(result)):
        assert sorted(k for k in keys if k in doc) == []


def test_the_printout_ends_with_the_verdict_and_the_json_is_finite(result):
    lines = summary_text(result).splitlines()
    assert lines[-1] == result["recommendation"]["line"]
    assert "Poisson deviance, holdout (mean per policy; lower is better)" in lines[2]
    data = json.loads(json.dumps(json_ready(result), allow_nan=False))
    # the same figures as the evaluation's per-cause table, cause by cause
    for row, cause in zip(data["by_cause"], CLAIM_CAUSES, strict=True):
        ae = row[table_names.ae_column(CHALLENGER)]
        assert ae == result["summary"][cause_metric(Metric.CAUSE_AE, cause, CHALLENGER)]
    assert len(data["cause_mix"][CHAMPION]) == 10
