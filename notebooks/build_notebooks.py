"""Write the numbered notebooks (outputs cleared) from the cells below.

Run ``python notebooks/build_notebooks.py`` after editing a cell here; the
.ipynb files are generated, never edited by hand. The notebooks only call
the packages (models/, training/) and plot: no logic of their own. Their
size comes from ``POLISURE_NB_POLICIES`` (default 20,000; the test suite
uses a few thousand).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def setup(numpy: bool = True) -> str:
    """The first code cell: imports, the repository on the path, the parameters."""
    return (
        "import os\n"
        "import sys\n"
        "from pathlib import Path\n\n"
        "import matplotlib.pyplot as plt\n"
        + ("import numpy as np\n" if numpy else "")
        + "import pandas as pd\n\n"
        "# The repository root on the path, whether Jupyter started here or in notebooks/.\n"
        'ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()\n'
        "sys.path.insert(0, str(ROOT))\n\n"
        "# Parameters: the size of the synthetic book and its seed.\n"
        'N_POLICIES = int(os.environ.get("POLISURE_NB_POLICIES", "20000"))\n'
        'SEED = int(os.environ.get("POLISURE_NB_SEED", "7"))'
    )


PORTFOLIO = [
    new_markdown_cell(
        "# 01 Portfolio exploration\n\nThe documented synthetic smart-city portfolio "
        "(`training.world.portfolio`, the generator behind `python -m training synth`): "
        "who the cities are, how often they claim and how much."
    ),
    new_code_cell(setup()),
    new_code_cell(
        "from training.evaluation import metrics\n"
        "from training.fitting.boosters import model_data\n"
        "from training.world.portfolio import generate_portfolio\n\n"
        "portfolio = generate_portfolio(N_POLICIES, SEED)\n"
        "policies, claims = portfolio.policies, portfolio.claims\n"
        "data = model_data(policies, claims)\n"
        "print(f'{len(policies):,} policies, {data.exposure_years.sum():,.0f} policy-years, '\n"
        "      f'{len(claims):,} claims: {data.claim_counts.sum() / data.exposure_years.sum():.2%} "
        "claims per policy-year')"
    ),
    new_code_cell(
        "policies[['population', 'annual_revenue_usd', 'iot_device_count', "
        "'security_fte', 'pii_records']].describe().T"
    ),
    new_markdown_cell("## Losses by cause (ground-up USD)"),
    new_code_cell(
        "claims.groupby('cause')['loss_usd'].describe(percentiles=[0.5, 0.9, 0.99])"
        "[['count', 'mean', '50%', '90%', '99%']]"
    ),
    new_code_cell(
        "fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.5))\n"
        "a.hist(np.log10(policies['population']), bins=40)\n"
        "a.set(xlabel='log10 population', ylabel='cities')\n"
        "b.hist(np.log10(claims['loss_usd']), bins=40)\n"
        "b.set(xlabel='log10 ground-up loss (USD)', ylabel='claims')\n"
        "plt.show()"
    ),
    new_markdown_cell(
        "## Claim frequency by band of each field\n\nActual claims over the portfolio "
        "average (`training.evaluation.metrics.one_way` against a flat rate): above 1 = more claims "
        "than an average city."
    ),
    new_code_cell(
        "flat = data.claim_counts.sum() / data.exposure_years.sum() * data.exposure_years\n"
        "bands = metrics.one_way(policies, data.claim_counts, flat)\n"
        "fields = ['population', 'mfa_remote', 'backup_isolation', 'internet_exposed_devices',\n"
        "          'vendor_access_control', 'edr_coverage_pct']\n"
        "fig, axes = plt.subplots(2, 3, figsize=(13, 6))\n"
        "for ax, field in zip(axes.flat, fields, strict=True):\n"
        "    rows = pd.DataFrame(bands[field])\n"
        "    ax.bar(rows['level'], rows['ae'])\n"
        "    ax.axhline(1.0, color='grey', linestyle=':')\n"
        "    ax.set_title(field, fontsize=9)\n"
        "    ax.tick_params(axis='x', labelrotation=30, labelsize=7)\n"
        "fig.tight_layout()\n"
        "plt.show()"
    ),
]

VALIDATION = [
    new_markdown_cell(
        "# 02 Model validation\n\nThe active bundle on a fresh synthetic book it was not "
        "trained on: lift (Lorenz, Gini), calibration (actual/expected by decile and "
        "against the generator's true rates) and the monotone effects of the field spec."
    ),
    new_code_cell(setup(numpy=False)),
    new_code_cell(
        "from models.scoring.explain import field_log_effects\n"
        "from models.scoring.features import build_features\n"
        "from models.spec.fields import FIELDS_BY_NAME, MODEL_FIELDS\n"
        "from models.scoring.registry import Registry\n"
        "from training.evaluation import metrics\n"
        "from training.fitting.boosters import model_data\n"
        "from training.world.portfolio import generate_portfolio\n\n"
        "bundle = Registry().load()\n"
        "portfolio = generate_portfolio(N_POLICIES, SEED)\n"
        "policies = portfolio.policies\n"
        "data = model_data(policies, portfolio.claims)\n"
        "rate, mu, sigma = bundle.predict(policies)\n"
        "expected = rate * data.exposure_years\n"
        "print(bundle.version, f'A/E overall {data.claim_counts.sum() / expected.sum():.3f}')"
    ),
    new_markdown_cell("## Lift"),
    new_code_cell(
        "x, y, gini = metrics.lorenz_curve(data.claim_counts, rate, data.exposure_years)\n"
        "tx, ty, gini_truth = metrics.lorenz_curve(\n"
        "    data.claim_counts, portfolio.truth['claim_rate_per_year'].to_numpy(), "
        "data.exposure_years)\n"
        "plt.plot(x, y, label=f'model (Gini {gini:.3f})')\n"
        "plt.plot(tx, ty, label=f'true rates (Gini {gini_truth:.3f})')\n"
        "plt.plot([0, 1], [0, 1], ':', color='grey')\n"
        "plt.xlabel('share of exposure, lowest predicted rate first')\n"
        "plt.ylabel('share of claims')\n"
        "plt.legend()\n"
        "plt.show()"
    ),
    new_markdown_cell("## Calibration"),
    new_code_cell(
        "groups = metrics.exposure_groups(rate, data.exposure_years)\n"
        "deciles = pd.DataFrame(metrics.ae_table(groups, data.claim_counts, {'model': expected}))\n"
        "fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.8))\n"
        "a.bar(deciles['group'] + 1, deciles['actual'], label='actual claims')\n"
        "a.plot(deciles['group'] + 1, deciles['expected_model'], 'o-', color='C1', "
        "label='expected')\n"
        "a.set(xlabel='decile of predicted rate (equal exposure)', ylabel='claims')\n"
        "a.legend()\n"
        "b.loglog(portfolio.truth['claim_rate_per_year'], rate, '.', alpha=0.2)\n"
        "b.set(xlabel='true claims per year (generator)', ylabel='predicted claims per year')\n"
        "plt.show()\n"
        "deciles"
    ),
    new_markdown_cell(
        "## Monotone effects\n\nEach field's contribution to log expected loss (TreeSHAP, "
        "`models.scoring.explain.field_log_effects`) against its value: the spec's risk direction "
        "(+1 raises, -1 lowers) is a monotone constraint of the boosters."
    ),
    new_code_cell(
        "effects = field_log_effects(bundle.frequency.booster, bundle.severity.booster,\n"
        "                            build_features(policies))\n"
        "names = [f.name for f in MODEL_FIELDS]\n"
        "fields = ['population', 'prior_incidents_3y', 'default_credentials_pct',\n"
        "          'edr_coverage_pct', 'critical_patch_days', 'restore_test_months']\n"
        "fig, axes = plt.subplots(2, 3, figsize=(13, 6))\n"
        "for ax, field in zip(axes.flat, fields, strict=True):\n"
        "    ax.plot(policies[field], effects[:, names.index(field)], '.', alpha=0.2)\n"
        "    ax.set_title(f'{field} (direction {FIELDS_BY_NAME[field].direction:+d})', "
        "fontsize=9)\n"
        "    ax.set_ylabel('log effect', fontsize=8)\n"
        "fig.tight_layout()\n"
        "plt.show()"
    ),
]

PRICING = [
    new_markdown_cell(
        "# 03 Pricing walk-through\n\nOne city from exposure to premium, layer by layer, "
        "with the same functions the quote API calls (`models.underwriting.quote_engine`, `models.pricing.premium`)."
    ),
    new_code_cell(setup(numpy=False)),
    new_code_cell(
        "from models.pricing.aggregate import layer_aggregate_loss\n"
        "from models.spec.exposure import frame_to_records\n"
        "from models.pricing.lognormal import layer_expected_loss, lognormal_mean, lognormal_quantile\n"
        "from models.pricing.premium import PolicyTerms, covered_loss_for, premium_from_aggregate\n"
        "from models.underwriting.quote_engine import load_quote_engine, risk_grade\n"
        "from training.world.portfolio import generate_portfolio\n\n"
        "engine = load_quote_engine()\n"
        "city = frame_to_records(generate_portfolio(20, SEED).policies)[0]\n"
        "terms = PolicyTerms(limit_usd=2_000_000, retention_usd=50_000)\n"
        "{k: city[k] for k in ('population', 'annual_revenue_usd', 'mfa_remote', "
        "'backup_isolation', 'internet_exposed_devices', 'privacy_regime')}"
    ),
    new_markdown_cell("## 1. Rate: expected claims per year (frequency booster)"),
    new_code_cell(
        "scores = engine.score([city])\n"
        "rate = float(scores.claim_rate_per_year[0])\n"
        "print(f'claims per year {rate:.4f}; risk score {scores.risk_score[0]:.1f} "
        "(grade {risk_grade(float(scores.risk_score[0]))})')"
    ),
    new_markdown_cell("## 2. Severity: one ground-up loss, lognormal (severity booster)"),
    new_code_cell(
        "mu, sigma = float(scores.severity_mu[0]), scores.severity_sigma\n"
        "print(f'mu {mu:.3f}, sigma {sigma:.3f}: mean USD {float(lognormal_mean(mu, sigma)):,.0f}, '\n"
        "      f'median USD {float(lognormal_quantile(0.5, mu, sigma)):,.0f}, '\n"
        "      f'1-in-10 claim USD {float(lognormal_quantile(0.9, mu, sigma)):,.0f}')"
    ),
    new_markdown_cell(
        "## 3. Layer expected loss per claim, closed form\n\n"
        "E[min(max(X - d, 0), L)] = LEV(d + L) - LEV(d) for the lognormal "
        "(all of the loss, before coverage shares and the aggregate limit)."
    ),
    new_code_cell(
        "per_claim = float(layer_expected_loss(terms.retention_usd, terms.limit_usd, mu, sigma))\n"
        "print(f'per claim USD {per_claim:,.0f}; x {rate:.4f} claims = USD {rate * per_claim:,.0f} "
        "a year')"
    ),
    new_markdown_cell(
        "## 4. Aggregate loss with the limit\n\nThe covered part of each loss (coverage "
        "shares, fines cap), compound Poisson over the year, capped by the aggregate limit."
    ),
    new_code_cell(
        "covered = covered_loss_for(engine.plan, terms.coverages, mu, sigma, city)\n"
        "aggregate = layer_aggregate_loss(covered, rate * terms.period_years, "
        "terms.retention_usd,\n"
        "                                 terms.limit_usd, (0.9, 0.99, 0.995))\n"
        "print(f'expected insured loss USD {aggregate.expected_usd:,.0f}; limit exhausted with '\n"
        "      f'probability {aggregate.limit_exhaustion_probability:.4%}')\n"
        "pd.DataFrame({'probability': aggregate.probabilities, "
        "'VaR_usd': aggregate.quantiles_usd,\n"
        "              'TVaR_usd': aggregate.tail_means_usd})"
    ),
    new_markdown_cell("## 5. Loads and premium (rating plan)"),
    new_code_cell(
        "breakdown = premium_from_aggregate(engine.plan, aggregate, covered, terms.coverages)\n"
        "parts = {k: v for k, v in vars(breakdown).items() if k.endswith('_usd') and "
        "isinstance(v, float)}\n"
        "plt.barh(list(parts), list(parts.values()))\n"
        "plt.xlabel('USD')\n"
        "plt.show()\n"
        "parts"
    ),
    new_markdown_cell(
        "## 6. The quote: premium, decision, drivers\n\n`engine.quote` does all of the "
        "above in one call; its figures are the ones just built step by step."
    ),
    new_code_cell(
        "quote = engine.quote(city, {'limit_usd': terms.limit_usd, 'retention_usd': "
        "terms.retention_usd,\n"
        "                            'coverages': terms.coverages, 'period_days': "
        "terms.period_days})\n"
        "print(f\"premium USD {quote['premium_usd']:,.0f} (step 5: "
        '{max(breakdown.technical_premium_usd, breakdown.minimum_premium_usd):,.0f}); "\n'
        "      f\"decision {quote['decision']} {[r['code'] for r in quote['decision_reasons']]}\")\n"
        "drivers = pd.DataFrame(quote['drivers'])[['field', 'value', 'effect_pct', "
        "'effect_usd', 'direction']]\n"
        "plt.barh(drivers['field'], drivers['effect_pct'])\n"
        "plt.xlabel('effect on expected loss (%)')\n"
        "plt.show()\n"
        "drivers"
    ),
]

NOTEBOOKS = {
    "01_portfolio_exploration.ipynb": PORTFOLIO,
    "02_model_validation.ipynb": VALIDATION,
    "03_pricing_walkthrough.ipynb": PRICING,
}


def build(directory: Path = HERE) -> list[Path]:
    """Write every notebook into ``directory``; return their paths."""
    written = []
    for name, cells in NOTEBOOKS.items():
        notebook = new_notebook(cells=cells)
        for i, cell in enumerate(notebook.cells):
            cell["id"] = f"{name[:2]}-{i:02d}"  # stable ids: rebuilding changes nothing
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (Polisure .venv)",
            "language": "python",
        }
        notebook.metadata["language_info"] = {"name": "python"}
        path = directory / name
        nbformat.write(notebook, path)
        written.append(path)
    # the house style (ruff format) for the cells, as `make lint` checks it
    config = str(HERE.parent / "pyproject.toml")  # the same settings wherever ``directory`` is
    command = [sys.executable, "-m", "ruff", "format", "--quiet", "--config", config]
    subprocess.run([*command, *map(str, written)], check=True)
    return written


if __name__ == "__main__":
    for path in build():
        print(path)
