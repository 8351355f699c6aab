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
# # 01 Portfolio exploration
#
# The documented synthetic smart-city portfolio (`training.world.portfolio`, the generator behind `python -m training synth`): who the cities are, how often they claim and how much.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

# Parameters: the size of the synthetic book and its seed.
N_POLICIES = int(os.environ.get("POLISURE_NB_POLICIES", "20000"))
SEED = int(os.environ.get("POLISURE_NB_SEED", "7"))

# %%
from training.evaluation import metrics
from training.fitting.boosters import model_data
from training.world.portfolio import generate_portfolio

portfolio = generate_portfolio(N_POLICIES, SEED)
policies, claims = portfolio.policies, portfolio.claims
data = model_data(policies, claims)
print(
    f"{len(policies):,} policies, {data.exposure_years.sum():,.0f} policy-years, "
    f"{len(claims):,} claims: {data.claim_counts.sum() / data.exposure_years.sum():.2%} claims per policy-year"
)

# %%
policies[
    ["population", "annual_revenue_usd", "iot_device_count", "security_fte", "pii_records"]
].describe().T

# %% [markdown]
# ## Losses by cause (ground-up USD)

# %%
claims.groupby("cause")["loss_usd"].describe(percentiles=[0.5, 0.9, 0.99])[
    ["count", "mean", "50%", "90%", "99%"]
]

# %%
fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.5))
a.hist(np.log10(policies["population"]), bins=40)
a.set(xlabel="log10 population", ylabel="cities")
b.hist(np.log10(claims["loss_usd"]), bins=40)
b.set(xlabel="log10 ground-up loss (USD)", ylabel="claims")
plt.show()

# %% [markdown]
# ## Claim frequency by band of each field
#
# Actual claims over the portfolio average (`training.evaluation.metrics.one_way` against a flat rate): above 1 = more claims than an average city.

# %%
flat = data.claim_counts.sum() / data.exposure_years.sum() * data.exposure_years
bands = metrics.one_way(policies, data.claim_counts, flat)
fields = [
    "population",
    "mfa_remote",
    "backup_isolation",
    "internet_exposed_devices",
    "vendor_access_control",
    "edr_coverage_pct",
]
fig, axes = plt.subplots(2, 3, figsize=(13, 6))
for ax, field in zip(axes.flat, fields, strict=True):
    rows = pd.DataFrame(bands[field])
    ax.bar(rows["level"], rows["ae"])
    ax.axhline(1.0, color="grey", linestyle=":")
    ax.set_title(field, fontsize=9)
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
fig.tight_layout()
plt.show()
