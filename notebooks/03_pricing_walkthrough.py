# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (Polisure .venv)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 Pricing walk-through
#
# One city from exposure to premium, layer by layer, with the same functions the quote API calls (`models.underwriting.quote_engine`, `models.pricing.premium`).

# %%
import os

import matplotlib.pyplot as plt
import pandas as pd

# Parameters: the size of the synthetic book and its seed.
N_POLICIES = int(os.environ.get("POLISURE_NB_POLICIES", "20000"))
SEED = int(os.environ.get("POLISURE_NB_SEED", "7"))

# %%
from models.pricing.aggregate import layer_aggregate_loss
from models.pricing.lognormal import layer_expected_loss, lognormal_mean, lognormal_quantile
from models.pricing.premium import PolicyTerms, covered_loss_for, premium_from_aggregate
from models.spec.exposure import frame_to_records
from models.underwriting.city_pricer import risk_grade
from models.underwriting.quote_engine import load_quote_engine
from training.world.portfolio import generate_portfolio

engine = load_quote_engine()
city = frame_to_records(generate_portfolio(20, SEED).policies)[0]
terms = PolicyTerms(limit_usd=2_000_000, retention_usd=50_000)
{
    k: city[k]
    for k in (
        "population",
        "annual_revenue_usd",
        "mfa_remote",
        "backup_isolation",
        "internet_exposed_devices",
        "privacy_regime",
    )
}

# %% [markdown]
# ## 1. Rate: expected claims per year (frequency booster)

# %%
scores = engine.score([city])
rate = float(scores.claim_rate_per_year[0])
print(
    f"claims per year {rate:.4f}; risk score {scores.risk_score[0]:.1f} (grade {risk_grade(float(scores.risk_score[0]))})"
)

# %% [markdown]
# ## 2. Severity: one ground-up loss, lognormal (severity booster)

# %%
mu, sigma = float(scores.severity_mu[0]), scores.severity_sigma
print(
    f"mu {mu:.3f}, sigma {sigma:.3f}: mean USD {float(lognormal_mean(mu, sigma)):,.0f}, "
    f"median USD {float(lognormal_quantile(0.5, mu, sigma)):,.0f}, "
    f"1-in-10 claim USD {float(lognormal_quantile(0.9, mu, sigma)):,.0f}"
)

# %% [markdown]
# ## 3. Layer expected loss per claim, closed form
#
# E[min(max(X - d, 0), L)] = LEV(d + L) - LEV(d) for the lognormal (all of the loss, before coverage shares and the aggregate limit).

# %%
per_claim = float(layer_expected_loss(terms.retention_usd, terms.limit_usd, mu, sigma))
print(f"per claim USD {per_claim:,.0f}; x {rate:.4f} claims = USD {rate * per_claim:,.0f} a year")

# %% [markdown]
# ## 4. Aggregate loss with the limit
#
# The covered part of each loss (coverage shares, fines cap), compound Poisson over the year, capped by the aggregate limit.

# %%
covered = covered_loss_for(engine.plan, terms.coverages, mu, sigma, city)
aggregate = layer_aggregate_loss(
    covered, rate * terms.period_years, terms.retention_usd, terms.limit_usd, (0.9, 0.99, 0.995)
)
print(
    f"expected insured loss USD {aggregate.expected_usd:,.0f}; limit exhausted with "
    f"probability {aggregate.limit_exhaustion_probability:.4%}"
)
pd.DataFrame(
    {
        "probability": aggregate.probabilities,
        "VaR_usd": aggregate.quantiles_usd,
        "TVaR_usd": aggregate.tail_means_usd,
    }
)

# %% [markdown]
# ## 5. Loads and premium (rating plan)

# %%
breakdown = premium_from_aggregate(engine.plan, aggregate, covered, terms.coverages)
parts = {k: v for k, v in vars(breakdown).items() if k.endswith("_usd") and isinstance(v, float)}
plt.barh(list(parts), list(parts.values()))
plt.xlabel("USD")
plt.show()
parts

# %% [markdown]
# ## 6. The quote: premium, decision, drivers
#
# `engine.quote` does all of the above in one call; its figures are the ones just built step by step.

# %%
quote = engine.quote(
    city,
    {
        "limit_usd": terms.limit_usd,
        "retention_usd": terms.retention_usd,
        "coverages": terms.coverages,
        "period_days": terms.period_days,
    },
)
print(
    f"premium USD {quote['premium_usd']:,.0f} (step 5: {breakdown.premium_usd:,.0f}); "
    f"decision {quote['decision']} {[r['code'] for r in quote['decision_reasons']]}"
)
drivers = pd.DataFrame(quote["drivers"])[
    ["field", "value", "effect_pct", "effect_usd", "direction"]
]
plt.barh(drivers["field"], drivers["effect_pct"])
plt.xlabel("effect on expected loss (%)")
plt.show()
drivers
