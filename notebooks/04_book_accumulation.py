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
# # 04 Book accumulation
#
# One insurer's book of smart cities under the shipped event catalog: which systemic events can hit many cities at once, the book's loss distribution (EP curves), the vendors that are single points of failure, which policies carry the tail (Euler co-TVaR), and what one more city would add to the book. The figures are those of `python -m training accumulate` and `GET /v1/book/accumulation` (`models.accumulation.run.run_book` through `BookModel.analyse`); nothing here computes a figure of its own.

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

# Parameters: the size of the book, the simulated years and the seed.
N_POLICIES = int(os.environ.get("POLISURE_NB_POLICIES", "20000"))
YEARS = int(os.environ.get("POLISURE_NB_YEARS", "20000"))
SEED = int(os.environ.get("POLISURE_NB_SEED", "7"))

# %% [markdown]
# ## 1. The event catalog
#
# Each event occurs a Poisson number of times a year (`annual_rate`); an occurrence hits each city of its footprint (the cities naming a vendor, a device family read off the exposure fields, or every city) with the footprint's probability, independently, and a hit city loses a share of its limit or of its budget, inside its retention and aggregate limit.

# %%
from models.accumulation.catalog import shipped_event_catalog

catalog = shipped_event_catalog()
pd.DataFrame(
    {
        "family": e.family,
        "annual_rate": e.annual_rate,
        "cause": e.cause,
        "footprint": e.footprint.vendor
        or ("all cities" if e.footprint.all_cities else "device family"),
        "hit_probability": e.footprint.hit_probability,
        "loss": "share of limit" if e.loss.share_of_limit is not None else "share of budget",
    }
    for e in catalog.events
).set_index(pd.Index([e.id for e in catalog.events], name="event"))

# %% [markdown]
# ## 2. The book
#
# Cities of the synthetic world with the vendors they name; each buys a limit of half its budget (1M to 10M USD) with a retention of 1% of the limit. The book is written as a book file and read back with the reader `accumulate` uses (`models.accumulation.book_file`), which refuses a file with every defect named.

# %%
from models.accumulation.book_file import read_book_file
from training.world.portfolio import generate_portfolio

cities = generate_portfolio(N_POLICIES, SEED).policies.drop(
    columns=["period_start", "exposure_years"]
)
cities["limit_usd"] = np.clip(np.round(cities["annual_revenue_usd"] * 0.5, -5), 1e6, 1e7)
cities["retention_usd"] = np.clip(np.round(cities["limit_usd"] * 0.01, -3), 1e4, 2.5e5)
folder = Path(tempfile.mkdtemp())
cities.to_csv(folder / "book.csv", index=False)
book = read_book_file(folder / "book.csv")
print(f"{len(book):,} policies, total limit USD {book.limit_usd.sum():,.0f}")
cities[["policy_id", "limit_usd", "retention_usd", "vendors"]].head()

# %% [markdown]
# ## 3. The book's years
#
# `BookModel.analyse` simulates the years: the catalog's events plus each city's own claims from the active bundle (attritional), each policy's retention per occurrence and its aggregate limit within the year. The same book, catalog, years and seed give the same figures, bit for bit.

# %%
from models.underwriting.quote_engine import load_quote_engine

model = load_quote_engine().book_model()
run = model.analyse(book, catalog, YEARS, SEED)
summary = run.summary()
print(
    f"AAL USD {summary['aal_usd']:,.0f}; 1-in-200 AEP USD {summary['ep']['aep']['200']:,.0f}, "
    f"its TVaR USD {summary['ep']['aep_tvar']['200']:,.0f}; {summary['years']:,} years, "
    f"seed {summary['seed']}, catalog {summary['catalog_version']}"
)
pd.DataFrame(summary["ep"]).rename_axis("return period")

# %% [markdown]
# ## 4. EP curves
#
# OEP: the largest single event's loss in a year; AEP: the year's total. With N years ranked largest first, the k-th has return period N / k (the ORD convention of `ept.csv`).

# %%
fig, ax = plt.subplots(figsize=(8, 4))
for name, losses in (("AEP", run.table.book_loss), ("OEP", run.table.max_occurrence_loss)):
    ranked = np.sort(losses)[::-1]
    periods = len(ranked) / np.arange(1, len(ranked) + 1)
    ax.plot(periods, ranked / 1e6, label=name)
ax.set(xscale="log", xlabel="return period (years)", ylabel="loss (USD million)")
ax.axvline(200, color="grey", linestyle=":")
ax.legend()
plt.show()

# %% [markdown]
# ## 5. Single points of failure
#
# Each vendor's events alone: the policies naming it, their limit, and the book's loss from them on average and at 1 in 200.

# %%
spof = pd.DataFrame(summary["spof"]).set_index("vendor")
top = spof.head(12)
plt.barh(top.index[::-1], top["loss_1_in_200_usd"][::-1] / 1e6)
plt.xlabel("1-in-200 book loss from the vendor's events (USD million)")
plt.show()
top

# %% [markdown]
# ## 6. Event families

# %%
run.families()

# %% [markdown]
# ## 7. Where the tail comes from: Euler contributions
#
# Each policy's co-TVaR, its mean loss in the book's worst 1-in-200 years; the contributions add up to the book's 1-in-200 AEP TVaR.

# %%
co_tvar = run.contributions()
print(
    f"sum of contributions USD {co_tvar.sum():,.0f} = "
    f"AEP TVaR USD {summary['ep']['aep_tvar']['200']:,.0f}"
)
limits = pd.Series(book.limit_usd, index=co_tvar.index, name="limit_usd")
pd.concat([co_tvar, limits], axis=1).sort_values("co_tvar_usd", ascending=False).head(10)

# %% [markdown]
# ## 8. One more city: the marginal impact
#
# A quote for a tenant with a book carries `portfolio_impact`: the book with the city minus the book without it, on the same simulated years (common random numbers), computed from the book's cached year losses. Binding the city and rerunning the book moves its figures by exactly these deltas.

# %%
from models.accumulation.book import Book

newcomer = generate_portfolio(1, SEED + 1).policies.drop(columns=["period_start", "exposure_years"])
newcomer["policy_id"] = "NEW-CITY"
newcomer["vendors"] = "Nimbus Cloud|GridWorks SCADA"
newcomer["limit_usd"] = 5_000_000.0
newcomer["retention_usd"] = 50_000.0
city = Book.from_frame(newcomer)
impact = model.impact(run.years_for_impact(), city, catalog)
bound = model.analyse(
    Book.from_frame(pd.concat([cities, newcomer], ignore_index=True)), catalog, YEARS, SEED
).summary()
pd.DataFrame(
    {
        "portfolio_impact": impact,
        "bound book minus book": {
            "delta_aal_usd": bound["aal_usd"] - summary["aal_usd"],
            "delta_oep_200_usd": bound["ep"]["oep"]["200"] - summary["ep"]["oep"]["200"],
            "delta_aep_200_usd": bound["ep"]["aep"]["200"] - summary["ep"]["aep"]["200"],
            "delta_aep_tvar_200_usd": bound["ep"]["aep_tvar"]["200"]
            - summary["ep"]["aep_tvar"]["200"],
        },
    }
)

# %% [markdown]
# The same analysis from the command line writes `summary.json`, `ept.csv`, `ylt.csv` and `report.html`:
#
# ```
# python -m training accumulate --book book.csv --years 20000 --seed 7 --out accumulation-report
# ```
