"""The people-facing files of a bundle: a self-contained HTML report and a model card.

The report embeds the holdout plots as base64 PNG (drawn by training.reports.plots,
possibly in another process: training.reports.plot_worker), so report.html is one
file that opens anywhere. This module does not import matplotlib.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from models.versions.metadata import (
    GLM,
    HOLDOUT_CLAIMS,
    TRUTH,
    XGBOOST,
    BundleMetadata,
    Metric,
)
from training.evaluation.table_names import ONE_WAY

#: The rows of the model card's XGBoost vs GLM table, in order (where measured).
MODEL_CARD_METRICS = (
    Metric.POISSON_DEVIANCE,
    Metric.GINI,
    Metric.AE_OVERALL,
    Metric.AE_OVERALL_LOW95,
    Metric.AE_OVERALL_HIGH95,
    Metric.AE_DECILE_MAX_ABS_ERROR,
    Metric.AE_DECILE_CHI2_PVALUE,
    Metric.SEVERITY_NLL_PER_CLAIM,
    Metric.EXPLAINABLE_DEVIANCE_CAPTURED,
    Metric.TRUTH_AE_OVERALL,
    Metric.TRUTH_AE_DECILE_MAX_ABS_ERROR,
    Metric.LAYER_PURE_PREMIUM_TOTAL_ERROR,
)


#: The model card's last section.
_LIMITATIONS = (
    "",
    "## Limitations",
    "- One lognormal scale for every city: the tail width does not vary with exposure.",
    "- Severity tail: losses above the large-loss threshold are heavier than one "
    "lognormal (a mix of causes); the lognormal underprices high layers and the "
    "reported large-loss factor is the training data's excess over it (see the report's "
    "tail plot). Pricing of layers well above the threshold needs that load.",
    "- Trained on the data above; a portfolio that differs from it needs a retrain.",
    "- Per-claim layer figures ignore the aggregate limit (pricing applies it).",
    "",
)


def _table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def one_way_worst(tables: Mapping[str, Any], min_expected: float = 20.0) -> list[tuple[str, float]]:
    """(field, largest |A/E - 1| over bands with enough expected claims), worst first."""
    worst = []
    for field, rows in tables[ONE_WAY].items():
        errors = [abs(r["ae"] - 1.0) for r in rows if r["expected"] >= min_expected]
        worst.append((field, max(errors) if errors else 0.0))
    return sorted(worst, key=lambda fe: -fe[1])


def render_report(
    version: str, metadata: BundleMetadata, tables: Mapping[str, Any], plots: list[str]
) -> str:
    """The self-contained HTML report of a bundle version; ``plots`` are base64 PNGs."""
    images = "".join(f'<img alt="plot" src="data:image/png;base64,{p}">' for p in plots)
    summary = sorted(metadata.metrics.items())
    balance = sorted(metadata.balance.to_dict().items())
    baseline = sorted(metadata.baseline_balance.to_dict().items())
    one_way = [(f, f"{e:.3f}") for f, e in one_way_worst(tables)]
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Polisure model {html.escape(version)}</title><style>"
        "body{font-family:sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 8px;"
        "text-align:left}img{margin:4px}</style></head><body>"
        f"<h1>Model {html.escape(version)}</h1>"
        "<h2>Holdout metrics</h2>"
        + _table([(k, _fmt(v)) for k, v in summary])
        + "<h2>Plots</h2>"
        + images
        + "<h2>Balance corrections (training data)</h2>"
        + _table([(k, _fmt(v)) for k, v in balance])
        + "<h2>The GLM baseline's balance (the same corrections)</h2>"
        + _table([(k, _fmt(v)) for k, v in baseline])
        + "<h2>One-way A/E: largest |A/E - 1| per field (bands with >= 20 expected claims)</h2>"
        + _table(one_way)
        + "</body></html>\n"
    )


def render_model_card(version: str, metadata: BundleMetadata) -> str:
    """The model card (Markdown) of a bundle version."""
    data, freq, sev = metadata.data, metadata.frequency, metadata.severity
    balance, baseline = metadata.balance, metadata.baseline_balance
    lines = [
        f"# Model card: {version}",
        "",
        "Polisure cyber-loss model for smart cities: claim frequency (XGBoost "
        "`count:poisson`, log(exposure_years) offset) and severity of one ground-up loss "
        "(lognormal; location from XGBoost, scale from validation residuals, location balanced "
        "to the training losses below a large-loss threshold).",
        "",
        "## Intended use",
        "Expected claim rate per year and the distribution of one ground-up loss for a "
        "city's exposure, as input to layer pricing. Not for exposures outside the "
        "field spec ranges, nor for accumulation (the `vendors` field is not a feature).",
        "",
        "## Training data",
        f"- policies: {data.policies}, claims: {data.claims}, "
        f"exposure: {data.exposure_years:.1f} policy-years",
        f"- policies SHA-256 `{data.policies_sha256[:16]}`, claims SHA-256 "
        f"`{data.claims_sha256[:16]}`; seed {metadata.seed}",
        "- split by policy: 70% training, 15% validation (early stopping, sigma), 15% holdout",
        "",
        "## Conventions",
        f"- log(claims per year) = {freq.log_rate_offset:.5f} + trees(features); pass it "
        "as `base_margin` (plus log(exposure_years) for a count); base_score is 1.0 (margin 0)",
        f"- severity: ln(loss_usd) ~ Normal(trees(features) + {sev.mu_shift:.5f}, "
        f"{sev.sigma:.4f}^2)",
        f"- balance: claim rates x{balance.frequency_factor:.4f}; severity "
        f"location {balance.body_mu_shift:+.4f} so that losses capped at "
        f"${balance.body_cap_usd:,.0f} balance; the observed excess above it "
        f"is x{balance.large_loss_factor:.3f} the lognormal's (large-loss "
        "factor, for pricing to load high layers)",
        f"- the GLM baseline is balanced the same way: claim rates "
        f"x{baseline.frequency_factor:.4f}, severity location "
        f"{baseline.body_mu_shift:+.4f}",
        "- monotone constraints from the field spec's risk directions",
        "",
        "## Holdout performance (XGBoost vs GLM)",
        "| metric | XGBoost | GLM |",
        "|---|---|---|",
    ]
    return "\n".join([*lines, *_performance_rows(metadata.metrics), *_LIMITATIONS])


def _performance_rows(m: Mapping[str, float | None]) -> list[str]:
    """The XGBoost vs GLM rows of the model card and the truth's own A/E (noise floor)."""
    lines = [
        f"| {key} | {_fmt(m[key.of(XGBOOST)])} | {_fmt(m[key.of(GLM)])} |"
        for key in MODEL_CARD_METRICS
        if key.of(XGBOOST) in m
    ]
    if Metric.AE_DECILE_MAX_ABS_ERROR.of(TRUTH) in m:
        lines += [
            "",
            f"The true claim rates themselves score A/E {_fmt(m[Metric.AE_OVERALL.of(TRUTH)])} "
            f"overall and {_fmt(m[Metric.AE_DECILE_MAX_ABS_ERROR.of(TRUTH)])} worst |A/E - 1| by "
            f"decile on this holdout ({_fmt(m[HOLDOUT_CLAIMS])} claims): how far Poisson noise "
            "alone moves the A/E rows above.",
        ]
    return lines
