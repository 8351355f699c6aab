"""The people-facing files of a bundle: a self-contained HTML report and a model card.

The report embeds the holdout plots as base64 PNG (drawn by training.reports.plots,
possibly in another process: training.reports.plot_worker), so report.html is one
file that opens anywhere. This module does not import matplotlib.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any


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
    for field, rows in tables["one_way"].items():
        errors = [abs(r["ae"] - 1.0) for r in rows if r["expected"] >= min_expected]
        worst.append((field, max(errors) if errors else 0.0))
    return sorted(worst, key=lambda fe: -fe[1])


def render_report(
    version: str, metadata: Mapping[str, Any], tables: Mapping[str, Any], plots: list[str]
) -> str:
    """The self-contained HTML report of a bundle version; ``plots`` are base64 PNGs."""
    images = "".join(f'<img alt="plot" src="data:image/png;base64,{p}">' for p in plots)
    summary = sorted(metadata["metrics"].items())
    balance = sorted(metadata["balance"].items())
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
        + _table([(k, _fmt(v)) for k, v in sorted(metadata["baseline_balance"].items())])
        + "<h2>One-way A/E: largest |A/E - 1| per field (bands with >= 20 expected claims)</h2>"
        + _table(one_way)
        + "</body></html>\n"
    )


def render_model_card(version: str, metadata: Mapping[str, Any]) -> str:
    """The model card (Markdown) of a bundle version."""
    m, data, freq, sev = (metadata[k] for k in ("metrics", "data", "frequency", "severity"))
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
        f"- policies: {data['policies']}, claims: {data['claims']}, "
        f"exposure: {data['exposure_years']:.1f} policy-years",
        f"- policies SHA-256 `{data['policies_sha256'][:16]}`, claims SHA-256 "
        f"`{data['claims_sha256'][:16]}`; seed {metadata['seed']}",
        "- split by policy: 70% training, 15% validation (early stopping, sigma), 15% holdout",
        "",
        "## Conventions",
        f"- log(claims per year) = {freq['log_rate_offset']:.5f} + trees(features); pass it "
        "as `base_margin` (plus log(exposure_years) for a count); base_score is 1.0 (margin 0)",
        f"- severity: ln(loss_usd) ~ Normal(trees(features) + {sev['mu_shift']:.5f}, "
        f"{sev['sigma']:.4f}^2)",
        f"- balance: claim rates x{metadata['balance']['frequency_factor']:.4f}; severity "
        f"location {metadata['balance']['body_mu_shift']:+.4f} so that losses capped at "
        f"${metadata['balance']['body_cap_usd']:,.0f} balance; the observed excess above it "
        f"is x{metadata['balance']['large_loss_factor']:.3f} the lognormal's (large-loss "
        "factor, for pricing to load high layers)",
        f"- the GLM baseline is balanced the same way: claim rates "
        f"x{metadata['baseline_balance']['frequency_factor']:.4f}, severity location "
        f"{metadata['baseline_balance']['body_mu_shift']:+.4f}",
        "- monotone constraints from the field spec's risk directions",
        "",
        "## Holdout performance (XGBoost vs GLM)",
        "| metric | XGBoost | GLM |",
        "|---|---|---|",
    ]
    for key in (
        "poisson_deviance",
        "gini",
        "ae_overall",
        "ae_overall_low95",
        "ae_overall_high95",
        "ae_decile_max_abs_error",
        "ae_decile_chi2_pvalue",
        "severity_nll_per_claim",
        "explainable_deviance_captured",
        "truth_ae_overall",
        "truth_ae_decile_max_abs_error",
        "layer_pure_premium_total_error",
    ):
        if f"{key}_xgboost" in m:
            lines.append(f"| {key} | {_fmt(m[f'{key}_xgboost'])} | {_fmt(m[f'{key}_glm'])} |")
    if "ae_decile_max_abs_error_truth" in m:
        lines += [
            "",
            f"The true claim rates themselves score A/E {_fmt(m['ae_overall_truth'])} overall "
            f"and {_fmt(m['ae_decile_max_abs_error_truth'])} worst |A/E - 1| by decile on this "
            f"holdout ({_fmt(m['holdout_claims'])} claims): how far Poisson noise alone moves "
            "the A/E rows above.",
        ]
    lines += [
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
    ]
    return "\n".join(lines)
