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
# One city from exposure to premium, cause by cause and layer by layer, with the functions the quote API prices with (`models.pricing.premium`). The city's loss model by cause (a claim rate and a spliced severity per claim cause) comes from the shipped bundle through the quote engine, as in every quote; the synthetic world's truth for the same city is shown beside it.

# %%
import os

import matplotlib.pyplot as plt
import pandas as pd

# Parameters: the size of the synthetic book and its seed.
N_POLICIES = int(os.environ.get("POLISURE_NB_POLICIES", "20000"))
SEED = int(os.environ.get("POLISURE_NB_SEED", "7"))

# %%
from models.pricing.aggregate import layer_aggregate_loss
from models.pricing.premium import (
    PolicyTerms,
    covered_loss_for,
    premium_from_aggregate,
)
from models.pricing.pricer import price_policy
from models.pricing.rating_plan_reader import shipped_rating_plan
from models.pricing.spliced import spliced_mean, spliced_quantile
from models.spec.contract import CLAIM_CAUSES
from models.spec.exposure import frame_to_records
from models.underwriting.city_pricer import risk_grade
from models.underwriting.quote_engine import load_quote_engine
from training.world.portfolio import generate_portfolio
from training.world.truth import RATE_COLUMNS

engine = load_quote_engine()
plan = shipped_rating_plan()
portfolio = generate_portfolio(20, SEED)
city = frame_to_records(portfolio.policies)[0]
truth = portfolio.truth.iloc[0]
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
# ## 1. Rates: expected claims per year, by cause
#
# The causes are independent Poisson processes; a claim is of cause c with probability rate_c / sum of rates. Each cause's rate is its signed log-linear start boosted by its XGBoost booster (`models.scoring.frequency`); the risk score ranks the city's loss cost in the training portfolio.

# %%
k = len(CLAIM_CAUSES)
scores = engine.score([city])
losses = scores.losses.city(0)
risk_score = float(scores.risk_score[0])
print(
    f"claims per year {losses.claim_rate_per_year:.4f}; risk score {risk_score:.1f} "
    f"(grade {risk_grade(risk_score)})"
)
pd.DataFrame(
    {
        "claims_per_year": losses.rate,
        "P(cause | claim)": losses.cause_weights,
        "true claims_per_year": truth[list(RATE_COLUMNS)].to_numpy(dtype=float),
    },
    CLAIM_CAUSES,
)

# %% [markdown]
# ## 2. Severity: one ground-up loss of each cause (spliced lognormal body and GPD tail)

# %%
t = losses.tails
severity = pd.DataFrame(
    {
        "mean_usd": spliced_mean(losses.mu, losses.sigma, t.z_u, t.xi, t.b),
        "median_usd": spliced_quantile(0.5, losses.mu, losses.sigma, t.z_u, t.xi, t.b),
        "1_in_10_claim_usd": spliced_quantile(0.9, losses.mu, losses.sigma, t.z_u, t.xi, t.b),
        "annual_ground_up_usd": losses.annual_ground_up_loss_by_cause(),
    },
    CLAIM_CAUSES,
)
severity.round(0)

# %% [markdown]
# ## 3. Layer expected loss per claim, closed form
#
# E[min(max(X - d, 0), L)] = LEV(d + L) - LEV(d) of each cause's ground-up loss (all of the loss, before coverage shares and the aggregate limit).

# %%
per_claim = losses.layer_per_claim_by_cause(terms.retention_usd, terms.limit_usd)
print(
    f"layer loss a year, ground up, no aggregate limit: USD "
    f"{float(losses.annual_layer_loss(terms.retention_usd, terms.limit_usd)):,.0f}"
)
pd.DataFrame(
    {"per_claim_usd": per_claim, "a_year_usd": losses.rate * per_claim}, CLAIM_CAUSES
).round(0)

# %% [markdown]
# ## 4. Aggregate loss with the limit
#
# The covered part of each claim: the rating plan's share of each cause's loss in each bought coverage part, fines capped by the privacy regime. Compound Poisson over the year, capped by the aggregate limit.

# %%
covered = covered_loss_for(plan, terms.coverages, losses, city)
aggregate = layer_aggregate_loss(
    covered,
    losses.claim_rate_per_year * terms.period_years,
    terms.retention_usd,
    terms.limit_usd,
    (0.9, 0.99, 0.995),
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
breakdown = premium_from_aggregate(plan, aggregate, covered)
parts = {k: v for k, v in vars(breakdown).items() if k.endswith("_usd") and isinstance(v, float)}
plt.barh(list(parts), list(parts.values()))
plt.xlabel("USD")
plt.show()
parts

# %% [markdown]
# ## 6. The price and its causes
#
# `price_policy` does all of the above in one call; its premium is the one just built step by step. Each cause's part of the expected loss is pro rata to its expected covered loss in the per-claim layer (the aggregate limit has no unique split).

# %%
result = price_policy(losses, terms, city, risk_score, plan)
print(
    f"premium USD {result.premium_usd:,.0f} (step 5: {breakdown.premium_usd:,.0f}); "
    f"decision {result.decision} {[r.code for r in result.decision_reasons]}"
)
causes = pd.DataFrame([c.to_dict() for c in result.causes]).set_index("cause")
plt.barh(causes.index, causes["expected_loss_usd"])
plt.xlabel("expected insured loss in the layer (USD)")
plt.show()
causes

# %% [markdown]
# ## 7. The quote
#
# `engine.quote` is what `POST /v1/quotes` returns before the service stores it: the same price, the `causes`, and the drivers, each with the cause it moves most.

# %%
quote = engine.quote(
    city,
    {
        "limit_usd": terms.limit_usd,
        "retention_usd": terms.retention_usd,
        "coverages": list(terms.coverages),
        "period_days": terms.period_days,
    },
)
assert quote["premium_usd"] == result.premium_usd
pd.DataFrame(quote["drivers"])[["label", "value", "effect_pct", "direction", "cause"]]
