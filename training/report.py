"""The people-facing files of a bundle: a self-contained HTML report and a model card.

Plots are drawn with matplotlib's object API on the Agg canvas (no pyplot
state, no display) and embedded as base64 PNG, so report.html is one file
that opens anywhere. PNG metadata is stripped so that the same evaluation
gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure

_COLOURS = {"xgboost": "#1f5fa8", "glm": "#d9822b", "active": "#5a9e4b"}


def figure_png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode()


def _lorenz_plot(tables: Mapping[str, Any]) -> Figure:
    fig = Figure(figsize=(5, 4))
    ax = fig.add_subplot()
    for name, ys in tables["lorenz"].items():
        xs = [i / (len(ys) - 1) for i in range(len(ys))]
        ax.plot(xs, ys, label=name, color=_COLOURS.get(name))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="no skill")
    ax.set(xlabel="share of exposure (lowest predicted rate first)", ylabel="share of claims")
    ax.set_title("Lorenz curve (holdout)")
    ax.legend()
    return fig


def _ae_plot(tables: Mapping[str, Any], key: str, names: list[str], title: str) -> Figure:
    fig = Figure(figsize=(5, 4))
    ax = fig.add_subplot()
    for name in names:
        rows = tables[key] if key in tables else tables[f"deciles_{name}"]
        ax.plot(
            [r["group"] + 1 for r in rows],
            [r[f"ae_{name}"] for r in rows],
            marker="o",
            label=name,
            color=_COLOURS.get(name),
        )
    ax.axhline(1.0, color="grey", linestyle=":")
    ax.set(xlabel="decile (equal exposure)", ylabel="actual / expected claims", title=title)
    ax.legend()
    return fig


def _tail_plot(tables: Mapping[str, Any]) -> Figure:
    rows = tables["severity_tail"]
    fig = Figure(figsize=(5, 4))
    ax = fig.add_subplot()
    ax.loglog(
        [r["threshold_usd"] for r in rows],
        [r["observed_exceedances"] for r in rows],
        marker="o",
        label="observed",
    )
    ax.loglog(
        [r["threshold_usd"] for r in rows],
        [r["fitted_exceedances"] for r in rows],
        marker="x",
        label="fitted lognormal",
    )
    ax.set(
        xlabel="threshold (USD)",
        ylabel="claims above threshold",
        title="Severity tail (holdout claims)",
    )
    ax.legend()
    return fig


def _one_way_plot(tables: Mapping[str, Any], fields: list[str]) -> Figure:
    fig = Figure(figsize=(12, 6))
    for i, field in enumerate(fields):
        ax = fig.add_subplot(2, 3, i + 1)
        rows = tables["one_way"][field]
        ax.plot(range(len(rows)), [r["ae"] for r in rows], marker="o", color=_COLOURS["xgboost"])
        ax.axhline(1.0, color="grey", linestyle=":")
        ax.set_xticks(range(len(rows)), [r["level"] for r in rows], rotation=30, fontsize=7)
        ax.set_title(field, fontsize=9)
        ax.set_ylabel("actual / expected", fontsize=8)
    fig.suptitle("One-way A/E (holdout), the six fields with the largest deviation")
    # fixed margins: tight_layout would lay every tick label out once more (~0.4 s)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.9, bottom=0.12, wspace=0.3, hspace=0.55)
    return fig


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


def render_report(version: str, metadata: Mapping[str, Any], tables: Mapping[str, Any]) -> str:
    """The self-contained HTML report of a bundle version."""
    names = [n for n in ("xgboost", "glm", "active") if f"deciles_{n}" in tables]
    figures = [_lorenz_plot(tables), _ae_plot(tables, "deciles", names, "A/E by predicted decile")]
    for other in names[1:]:
        key = f"double_lift_xgboost_vs_{other}"
        figures.append(_ae_plot(tables, key, ["xgboost", other], f"Double lift vs {other}"))
    figures.append(_tail_plot(tables))
    figures.append(_one_way_plot(tables, [f for f, _ in one_way_worst(tables)[:6]]))
    images = "".join(
        f'<img alt="plot" src="data:image/png;base64,{figure_png(f)}">' for f in figures
    )
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
