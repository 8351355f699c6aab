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
# # 02 Model validation
#
# The active bundle on a fresh synthetic book it was not trained on: lift (Lorenz, Gini), calibration (actual/expected by decile and against the generator's true rates) and the monotone effects of the field spec.

# %%
import os

import matplotlib.pyplot as plt
import pandas as pd

# Parameters: the size of the synthetic book and its seed.
N_POLICIES = int(os.environ.get("POLISURE_NB_POLICIES", "20000"))
SEED = int(os.environ.get("POLISURE_NB_SEED", "7"))

# %%
from models.scoring.explain import field_log_effects
from models.scoring.features import build_features
from models.spec.fields import FIELDS_BY_NAME, MODEL_FIELDS
from models.versions.registry import Registry
from training.evaluation import metrics
from training.fitting.boosters import model_data
from training.world.portfolio import generate_portfolio

bundle = Registry().load()
portfolio = generate_portfolio(N_POLICIES, SEED)
policies = portfolio.policies
data = model_data(policies, portfolio.claims)
features = build_features(policies)
losses = bundle.predict_losses(features)
rate = losses.claim_rate_per_year
expected = rate * data.exposure_years
print(bundle.version, f"A/E overall {data.claim_counts.sum() / expected.sum():.3f}")

# %% [markdown]
# ## Lift

# %%
x, y, gini = metrics.lorenz_curve(data.claim_counts, rate, data.exposure_years)
tx, ty, gini_truth = metrics.lorenz_curve(
    data.claim_counts, portfolio.truth["claim_rate_per_year"].to_numpy(), data.exposure_years
)
plt.plot(x, y, label=f"model (Gini {gini:.3f})")
plt.plot(tx, ty, label=f"true rates (Gini {gini_truth:.3f})")
plt.plot([0, 1], [0, 1], ":", color="grey")
plt.xlabel("share of exposure, lowest predicted rate first")
plt.ylabel("share of claims")
plt.legend()
plt.show()

# %% [markdown]
# ## Calibration

# %%
groups = metrics.exposure_groups(rate, data.exposure_years)
deciles = pd.DataFrame(metrics.ae_table(groups, data.claim_counts, {"model": expected}))
fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.8))
a.bar(deciles["group"] + 1, deciles["actual"], label="actual claims")
a.plot(deciles["group"] + 1, deciles["expected_model"], "o-", color="C1", label="expected")
a.set(xlabel="decile of predicted rate (equal exposure)", ylabel="claims")
a.legend()
b.loglog(portfolio.truth["claim_rate_per_year"], rate, ".", alpha=0.2)
b.set(xlabel="true claims per year (generator)", ylabel="predicted claims per year")
plt.show()
deciles

# %% [markdown]
# ## Monotone effects
#
# Each field's contribution to log expected loss (`models.scoring.explain.field_log_effects`: the signed start's and the boosters' Saabas contributions per cause, weighted by the city's loss shares) against its value: the spec's risk direction (+1 raises, -1 lowers) is the sign of every start slope and a monotone constraint of every booster.

# %%
effects = field_log_effects(bundle.model, losses, features).log_effects
names = [f.name for f in MODEL_FIELDS]
fields = [
    "population",
    "prior_incidents_3y",
    "default_credentials_pct",
    "edr_coverage_pct",
    "critical_patch_days",
    "restore_test_months",
]
fig, axes = plt.subplots(2, 3, figsize=(13, 6))
for ax, field in zip(axes.flat, fields, strict=True):
    ax.plot(policies[field], effects[:, names.index(field)], ".", alpha=0.2)
    ax.set_title(f"{field} (direction {FIELDS_BY_NAME[field].direction:+d})", fontsize=9)
    ax.set_ylabel("log effect", fontsize=8)
fig.tight_layout()
plt.show()
