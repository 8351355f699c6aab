"""A tiny seeded portfolio with a known Poisson/lognormal truth (test oracle).

Every model field gets a valid value; the truth depends on a few fields in
their spec direction, so a monotone model can recover it:

    claim rate per year = BASE_RATE * exp(RATE_SLOPE * log10(population / 1e5)
                                          - MFA_EFFECT * mfa_remote level
                                          + 0.5 * (backup_isolation == "none"))
    log(loss) ~ Normal(MU0 + MU_SLOPE * log10(pii_records + 1), SIGMA^2)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.spec.fields import FIELDS_BY_NAME, MODEL_FIELDS, SET_SEPARATOR

BASE_RATE = 0.25
RATE_SLOPE = 0.6
MFA_EFFECT = 0.35
MU0 = 10.0
MU_SLOPE = 0.4
SIGMA = 1.3
CAUSES = ("ransomware", "data_breach", "other")


@dataclass(frozen=True)
class Portfolio:
    policies: pd.DataFrame
    claims: pd.DataFrame
    true_rate: np.ndarray
    true_mu: np.ndarray

    @property
    def claim_owner(self) -> np.ndarray:
        """The policy row of each claim (policies are sorted by policy_id)."""
        return np.asarray(self.policies["policy_id"].searchsorted(self.claims["policy_id"]))

    @property
    def claim_counts(self) -> np.ndarray:
        """Claims per policy row."""
        return np.bincount(self.claim_owner, minlength=len(self.policies)).astype(float)


def _numeric(name: str, unit: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if unit == "%":
        return np.round(rng.uniform(0, 100, n), 1)
    if name == "population":
        return np.round(10 ** rng.uniform(3.5, 6.5, n))
    if name == "annual_revenue_usd":
        return np.round(10 ** rng.uniform(7, 10, n))
    if name == "employee_count":
        return np.round(10 ** rng.uniform(1.5, 4.5, n))
    if name in ("restore_test_months", "ir_plan_exercise_months"):
        return rng.integers(0, 121, n).astype(float)
    if name == "phishing_sims_per_year":
        return rng.integers(0, 13, n).astype(float)
    if name == "prior_incidents_3y":
        return rng.poisson(0.5, n).astype(float)
    if name == "security_fte":
        return np.round(rng.uniform(0, 40, n), 1)
    return np.round(10 ** rng.uniform(0, 4, n))


def exposure_frame(n: int, seed: int) -> pd.DataFrame:
    """n random, valid exposure rows (sets as canonical ``|``-joined strings)."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for f in MODEL_FIELDS:
        if f.kind in ("int", "number"):
            values = np.clip(_numeric(f.name, f.unit, n, rng), f.minimum, f.maximum)
            cols[f.name] = values.astype(np.int64) if f.kind == "int" else values
        elif f.kind == "bool":
            cols[f.name] = rng.random(n) < 0.3
        elif f.kind in ("ordinal", "category"):
            cols[f.name] = np.asarray(f.values)[rng.integers(0, len(f.values), n)]
        elif f.kind == "set":
            chosen = rng.random((n, len(f.values))) < 0.3
            cols[f.name] = [
                SET_SEPARATOR.join(v for v, c in zip(f.values, row, strict=True) if c)
                for row in chosen
            ]
    frame = pd.DataFrame(cols)
    # cross-field rules: a share of the devices / vendors, never more
    devices = frame["iot_device_count"] + frame["ot_device_count"]
    frame["internet_exposed_devices"] = (devices * rng.uniform(0, 0.05, n)).astype(np.int64)
    for name in ("critical_vendor_count", "vendors_with_remote_access"):
        frame[name] = (frame["vendor_count"] * rng.uniform(0, 0.5, n)).astype(np.int64)
    return frame


def make_portfolio(n: int, seed: int) -> Portfolio:
    """Policies (policy_id, exposure_years, fields) and claims from the known truth."""
    rng = np.random.default_rng(seed + 1)
    frame = exposure_frame(n, seed)
    mfa = pd.Categorical(frame["mfa_remote"], categories=FIELDS_BY_NAME["mfa_remote"].values).codes
    true_rate = BASE_RATE * np.exp(
        RATE_SLOPE * np.log10(frame["population"].to_numpy() / 1e5)
        - MFA_EFFECT * mfa
        + 0.5 * (frame["backup_isolation"].to_numpy() == "none")
    )
    true_mu = MU0 + MU_SLOPE * np.log10(frame["pii_records"].to_numpy() + 1.0)
    exposure = np.round(rng.uniform(0.25, 1.5, n), 3)
    policies = frame.copy()
    policies.insert(0, "exposure_years", exposure)
    policies.insert(0, "policy_id", [f"P{i:06d}" for i in range(n)])
    counts = rng.poisson(true_rate * exposure)
    owner = np.repeat(np.arange(n), counts)
    losses = np.exp(true_mu[owner] + SIGMA * rng.standard_normal(len(owner)))
    claims = pd.DataFrame(
        {
            "claim_id": [f"C{i:07d}" for i in range(len(owner))],
            "policy_id": policies["policy_id"].to_numpy()[owner],
            "loss_usd": np.round(losses, 2),
            "cause": np.asarray(CAUSES)[rng.integers(0, len(CAUSES), len(owner))],
        }
    )
    return Portfolio(policies, claims, true_rate, true_mu)


def truth_frame(portfolio: Portfolio) -> pd.DataFrame:
    """The truth in training/world/truth.py's format: every claim of cause "other"."""
    from models.spec.contract import CLAIM_CAUSES

    n = len(portfolio.policies)
    cols: dict[str, object] = {
        "policy_id": portfolio.policies["policy_id"],
        "claim_rate_per_year": portfolio.true_rate,
    }
    for cause in CLAIM_CAUSES:
        mine = cause == "other"
        cols[f"rate_{cause}"] = portfolio.true_rate if mine else np.zeros(n)
        cols[f"sev_mu_{cause}"] = portfolio.true_mu if mine else np.zeros(n)
        cols[f"sev_sigma_{cause}"] = np.full(n, SIGMA if mine else 1.0)
    return pd.DataFrame(cols)


#: Small and fast: a few dozen trees on one thread (tests must take seconds).
TEST_POLICIES = 3000
TEST_SEED = 11


def small_params():  # type: ignore[no-untyped-def]
    from models.scoring.booster_params import BoosterParams

    return BoosterParams(max_rounds=40, early_stopping_rounds=10, eta=0.15, nthread=1)


def write_portfolio(directory: Path, n: int = TEST_POLICIES, seed: int = TEST_SEED) -> Portfolio:
    """policies.csv, claims.csv and truth.csv of ``make_portfolio(n, seed)`` in ``directory``."""
    portfolio = make_portfolio(n, seed)
    directory.mkdir(parents=True, exist_ok=True)
    portfolio.policies.to_csv(directory / "policies.csv", index=False)
    portfolio.claims.to_csv(directory / "claims.csv", index=False)
    truth_frame(portfolio).to_csv(directory / "truth.csv", index=False)
    return portfolio


@pytest.fixture(scope="session")
def portfolio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the test portfolio's policies.csv, claims.csv and truth.csv."""
    directory = tmp_path_factory.mktemp("portfolio")
    write_portfolio(directory)
    return directory


@pytest.fixture(scope="session")
def trained_registry(tmp_path_factory: pytest.TempPathFactory, portfolio_dir: Path):  # type: ignore[no-untyped-def]
    """A registry with one promoted bundle trained on the test portfolio (with truth)."""
    from models.versions.registry import Registry
    from training.pipeline import train_bundle

    registry = Registry(tmp_path_factory.mktemp("bundles"))
    train_bundle(
        portfolio_dir / "policies.csv",
        portfolio_dir / "claims.csv",
        registry,
        seed=TEST_SEED,
        params=small_params(),
        truth_path=portfolio_dir / "truth.csv",
        promote=True,
    )
    return registry
