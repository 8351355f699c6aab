"""The synthetic world, part 4: a seeded portfolio of policies, claims and truth.

``generate_portfolio(n, seed)`` draws cities (exposure.py), their prior
incidents and named vendors, policy periods, the truth (rates.truth_parameters)
and then the claims: N ~ Poisson(rate x exposure_years) per policy, each
claim's cause in proportion to the cause rates, and its ground-up loss from
that cause's lognormal. Independent random streams (one per step, spawned
from ``seed``) keep each step's draws stable when another step changes.
``write_portfolio`` writes the files of ``python -m training synth``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.spec.contract import CLAIM_CAUSES
from models.spec.fields import FIELDS
from training.world.exposure import sample_cities
from training.world.rates import truth_parameters
from training.world.vendors import sample_vendor_lists

#: Incidents worth reporting (> $25k or a ransom demand) per insured claim:
#: many attacks never become claims (loss-figures target 2).
INCIDENTS_PER_CLAIM = 2.5
FIRST_PERIOD_START = np.datetime64("2022-01-01")
PERIOD_START_SPAN_DAYS = 3 * 365


@dataclass(frozen=True)
class Portfolio:
    """Policies (CONTRACT §2 columns), claims, and the truth (never for training)."""

    policies: pd.DataFrame
    claims: pd.DataFrame
    truth: pd.DataFrame


def _exposure_years(n: int, rng: np.random.Generator) -> np.ndarray:
    """Mostly annual policies; ~12% short (mid-term start or cancellation), ~3% extended."""
    kind = rng.random(n)
    short = np.round(rng.uniform(0.05, 1.0, n), 3)
    extended = np.round(rng.uniform(1.0, 1.5, n), 3)
    years = np.where(kind < 0.12, short, np.where(kind > 0.97, extended, 1.0))
    return np.clip(years, 0.001, 1.5)


def _prior_incidents(cities: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Incidents in the last 3 years, from the rate the city had without them."""
    clean = cities.assign(prior_incidents_3y=0)
    rate = truth_parameters(clean)["claim_rate_per_year"].to_numpy()
    return np.minimum(rng.poisson(3.0 * INCIDENTS_PER_CLAIM * rate), 100).astype(np.int64)


def simulate_claims(
    truth: pd.DataFrame, exposure_years: np.ndarray, policy_ids: np.ndarray, seed: int
) -> pd.DataFrame:
    """Claims of every policy: claim_id, policy_id, loss_usd (ground-up, cents), cause."""
    rng = np.random.default_rng(seed)
    rates = truth[[f"rate_{c}" for c in CLAIM_CAUSES]].to_numpy()
    total = rates.sum(axis=1)
    counts = rng.poisson(total * exposure_years)
    row = np.repeat(np.arange(len(truth)), counts)
    cumulative = np.cumsum(rates[row], axis=1) / total[row, None]
    cause = (rng.random(len(row))[:, None] > cumulative).sum(axis=1)
    cause = np.minimum(cause, len(CLAIM_CAUSES) - 1)  # guards float round-off at 1.0
    mu = truth[[f"sev_mu_{c}" for c in CLAIM_CAUSES]].to_numpy()[row, cause]
    sigma = truth[[f"sev_sigma_{c}" for c in CLAIM_CAUSES]].to_numpy()[row, cause]
    loss = np.maximum(np.round(np.exp(mu + sigma * rng.standard_normal(len(row))), 2), 0.01)
    return pd.DataFrame(
        {
            "claim_id": [f"C{i:07d}" for i in range(1, len(row) + 1)],
            "policy_id": policy_ids[row],
            "loss_usd": loss,
            "cause": np.array(CLAIM_CAUSES, dtype=object)[cause],
        }
    )


def generate_portfolio(n: int, seed: int) -> Portfolio:
    """A seeded synthetic portfolio of ``n`` policies (same n and seed, same portfolio)."""
    if n < 1:
        raise ValueError(f"number of policies must be >= 1, got {n}")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    cities = sample_cities(n, streams[0])
    cities["prior_incidents_3y"] = _prior_incidents(cities, streams[1])
    cities["vendors"] = sample_vendor_lists(cities["critical_vendor_count"].to_numpy(), streams[2])
    policy_ids = np.array([f"P{i:07d}" for i in range(1, n + 1)], dtype=object)
    offsets = streams[3].integers(0, PERIOD_START_SPAN_DAYS, n)
    head = pd.DataFrame(
        {
            "policy_id": policy_ids,
            "period_start": np.datetime_as_string(FIRST_PERIOD_START + offsets, unit="D"),
            "exposure_years": _exposure_years(n, streams[3]),
        }
    )
    policies = pd.concat([head, cities[[f.name for f in FIELDS]]], axis=1)
    truth = truth_parameters(policies)
    claim_seed = int(streams[4].integers(0, 2**63 - 1))
    claims = simulate_claims(truth, policies["exposure_years"].to_numpy(), policy_ids, claim_seed)
    return Portfolio(policies=policies, claims=claims, truth=truth)


def _csv_policies(policies: pd.DataFrame) -> pd.DataFrame:
    """Booleans as ``true``/``false`` (CONTRACT §1); everything else as generated."""
    out = policies.copy()
    for f in FIELDS:
        if f.kind == "bool":
            out[f.name] = out[f.name].map({True: "true", False: "false"})
    return out


def write_portfolio(portfolio: Portfolio, out_dir: Path) -> dict[str, Path]:
    """Write policies.csv, claims.csv and truth.csv into ``out_dir`` (created if needed).

    Returns their paths by name (``policies``, ``claims``, ``truth``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / f"{name}.csv" for name in ("policies", "claims", "truth")}
    # "\n" line ends on every platform: the same seed gives the same bytes.
    _csv_policies(portfolio.policies).to_csv(paths["policies"], index=False, lineterminator="\n")
    portfolio.claims.to_csv(paths["claims"], index=False, lineterminator="\n")
    portfolio.truth.to_csv(paths["truth"], index=False, lineterminator="\n")
    return paths
