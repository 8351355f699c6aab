"""The bundle report and model card: the summary first, figures in words, captioned plots.

The evaluation is built from arrays (tests/training/evaluation/cause_book.py:
an exact model, a flat GLM, an active model with its rates 10% high, the
truth); the metadata is the shipped bundle's with these metrics.
"""

from __future__ import annotations

import dataclasses
import html
import re

import numpy as np
import pytest

from models.pricing.cause_losses import CauseLosses
from models.spec.contract import CLAIM_CAUSES
from models.versions.metadata import ACTIVE, GLM, XGBOOST, BundleMetadata, Metric, finite_or_none
from models.versions.registry import DEFAULT_MODELS_DIR
from tests.training.evaluation.cause_book import SIGMA, body_only, cause_book, flat_mix
from training.evaluation import table_names
from training.evaluation.holdout import Predictions, TailFitShown, evaluate_holdout
from training.evaluation.recommendation import RULE, recommend_promotion
from training.fitting.tail import fit_gpd, gpd_quantile
from training.reports.metric_words import METRIC_WORDS, cause_words
from training.reports.plots import CAPTIONS, holdout_plots
from training.reports.report import render_model_card, render_report

FITTED = [
    {"component": "Claim frequency", "description": "XGBoost count:poisson per cause"},
    {"component": "Severity", "description": "lognormal body per cause, spliced GPD tail"},
]


def shipped_metadata() -> BundleMetadata:
    version = (DEFAULT_MODELS_DIR / "ACTIVE").read_text().strip()
    return BundleMetadata.from_json((DEFAULT_MODELS_DIR / version / "metadata.json").read_text())


def _tails() -> list[TailFitShown]:
    rng = np.random.default_rng(2)
    shown = []
    for label, xi in (("all causes", 0.25), ("ransomware", 0.4), ("vendor_outage", 0.1)):
        excess = gpd_quantile(rng.random(300), xi, 0.5)
        shown.append(TailFitShown(label, fit_gpd(excess, z_u=1.2), excess))
    return shown


@pytest.fixture(scope="module")
def report():
    book = cause_book(5000, 21)
    h = book.holdout
    exact = book.exact(XGBOOST)
    high = Predictions(ACTIVE, CauseLosses(1.1 * book.rate, book.mu, SIGMA, body_only()))
    null_rate = float(h.claim_counts.sum() / h.exposure_years.sum())
    mix = flat_mix(book, GLM).losses
    # the GLM: one claim rate for every city, split by the portfolio's cause mix
    flat = mix.rate / mix.claim_rate_per_year[:, np.newaxis] * null_rate
    glm = Predictions(GLM, CauseLosses(flat, mix.mu, SIGMA, body_only()))
    result = evaluate_holdout(
        h, exact, glm, null_rate, active=high, truth=book.truth, tails=_tails()
    )
    metadata = dataclasses.replace(shipped_metadata(), metrics=finite_or_none(result["summary"]))
    tables = {**result["tables"], table_names.FITTED: FITTED}
    plots = holdout_plots(result["tables"])
    page = render_report("v-test", metadata, tables, plots)
    card = render_model_card("v-test", metadata, tables)
    return result, metadata, plots, page, card


def _text(page: str) -> str:
    """The page without its embedded images (base64 holds any short string by chance)."""
    return html.unescape(re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,", page))


def test_every_metric_has_words():
    assert set(METRIC_WORDS) == set(Metric)
    assert cause_words("business_email_compromise") == "Business email compromise"


def test_both_open_with_the_summary_and_the_recommendation(report):
    result, metadata, _, page, card = report
    for doc, details in ((_text(page), "Holdout tables"), (card, "Holdout performance")):
        order = ["Summary", "What was fitted", "How it compares", "Recommendation: ", details]
        positions = [doc.index(heading) for heading in order]
        assert positions == sorted(positions)
        assert "XGBoost count:poisson per cause" in doc and "spliced GPD tail" in doc
        assert f"{metadata.data.policies:,}" in doc and f"{metadata.split.holdout:,}" in doc
        assert RULE in doc
    holdout_claims = result["summary"]["holdout_claims"]
    assert f"{holdout_claims:,.0f} claims" in card


def test_the_exact_model_is_recommended_over_a_flat_glm_and_a_high_active(report):
    result, _, _, page, card = report
    rec = recommend_promotion(result["summary"])
    assert [c.passed for c in rec.checks] == [True, True, True, True]
    assert "Recommendation: promote." in card and "Recommendation: promote." in page


def test_tables_have_a_column_per_model_and_figures_in_words(report):
    _, _, _, _, card = report
    assert "| Figure | XGBoost | GLM | Active model | Truth |" in card
    assert "| Poisson deviance, holdout (mean per policy; lower is better) |" in card
    assert "| Gini of the claim-rate ordering (higher is better) |" in card
    for cause in CLAIM_CAUSES:
        assert f"| {cause_words(cause)} |" in card
    assert (
        "Fitted severity tails" in card
        and "| Ransomware | 1.200 |" in card
        and "| All causes | 1.200 |" in card
    )


def test_no_raw_metric_key_appears(report):
    result, _, _, page, card = report
    keys = set(result["summary"]) | {m.value for m in Metric}
    keys |= {c for c in CLAIM_CAUSES if "_" in c} | {"xgboost", "glm_", "_glm"}
    for doc in (_text(page), card):
        found = sorted(k for k in keys if k in doc)
        assert found == []


def test_every_plot_is_in_the_page_with_its_caption(report):
    _, _, plots, page, _ = report
    titles = [p.title for p in plots]
    assert titles == [
        "Lorenz curve",
        "A/E by decile of the predicted rate",
        "Double lift against the GLM",
        "Double lift against the Active model",
        "A/E by cause",
        "Cause mix by decile, XGBoost",
        "Cause mix by decile, GLM",
        "Cause mix by decile, Active model",
        "Tail QQ plots",
        "Tail mean-excess plots",
        "Severity tail check",
        "One-way A/E",
    ]
    assert page.count("<figure>") == len(plots) == page.count("data:image/png;base64,")
    for plot in plots:
        assert plot.caption in _text(page) and "Look for:" in plot.caption
    assert set(CAPTIONS.values()) == {p.caption for p in plots}


def test_a_report_without_what_was_fitted_is_refused(report):
    result, metadata, _, _, _ = report
    with pytest.raises(ValueError, match="what was fitted"):
        render_model_card("v", metadata, result["tables"])


def test_the_rule_fails_the_checks_it_names():
    metrics = {
        Metric.POISSON_DEVIANCE.of(XGBOOST): 0.50,
        Metric.POISSON_DEVIANCE.of(GLM): 0.49,
        Metric.SEVERITY_NLL_PER_CLAIM.of(XGBOOST): 11.0,
        Metric.SEVERITY_NLL_PER_CLAIM.of(GLM): 11.2,
        Metric.AE_OVERALL_LOW95.of(XGBOOST): 1.01,
        Metric.AE_OVERALL_HIGH95.of(XGBOOST): 1.2,
    }
    rec = recommend_promotion(metrics)
    assert not rec.promote
    # no truth: the severity likelihood stands in for the layer error
    assert [(c.name, c.passed) for c in rec.checks] == [
        ("deviance below the GLM's", False),
        ("severity negative log-likelihood below the GLM's", True),
        ("A/E interval holds 1", False),
    ]
    assert rec.line == (
        "Recommendation: do not promote. Failed: deviance below the GLM's; A/E interval holds 1."
    )
    metrics[Metric.AE_OVERALL_LOW95.of(XGBOOST)] = None
    assert recommend_promotion(metrics).checks[2].detail == "not measured on this holdout"
