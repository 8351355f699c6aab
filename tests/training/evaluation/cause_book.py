"""A seeded holdout with a known per-cause truth, built from arrays (no training).

Each policy has a claim rate and a lognormal severity per cause (the truth
file's model); claims are drawn from them. ``body_only`` tails start ten
body standard deviations up, so the spliced loss equals the lognormal to
~1e-16 wherever a layer or a claim of these books reaches: a model made of
the truth's parameters with them *is* the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.pricing.cause_losses import CauseLosses, SeverityTails
from models.spec.contract import CLAIM_CAUSES
from tests.support.portfolio import exposure_frame
from training.evaluation.holdout import Holdout, Predictions
from training.world.truth import TRUTH_COLUMNS

K = len(CLAIM_CAUSES)
#: cause c's base claims per year and lognormal (mu, sigma): ransomware heavy, "other" light
BASE_RATES = np.array([0.08, 0.06, 0.05, 0.02, 0.03, 0.01, 0.04])
BASE_MU = np.array([12.0, 11.0, 10.5, 12.5, 11.5, 11.0, 9.5])
SIGMA = np.array([1.6, 1.4, 1.1, 1.8, 1.2, 1.3, 1.0])


def body_only() -> SeverityTails:
    """Tails so far up (z_u = 10, p_u ~ 8e-24) that the spliced loss is the lognormal."""
    return SeverityTails(np.full(K, 10.0), np.full(K, 0.3), np.full(K, 0.5))


@dataclass(frozen=True)
class CauseBook:
    holdout: Holdout
    rate: np.ndarray  # true claims per year, policies x causes
    mu: np.ndarray  # true lognormal location, policies x causes
    truth: pd.DataFrame  # the same in truth-file format

    def exact(self, name: str) -> Predictions:
        """A model whose cause rates and severities are the truth's."""
        return Predictions(name, CauseLosses(self.rate, self.mu, SIGMA, body_only()))


def cause_book(n: int, seed: int) -> CauseBook:
    """n policies whose cause rates rise with population and mu with pii_records."""
    rng = np.random.default_rng(seed)
    frame = exposure_frame(n, seed)
    size = np.log10(frame["population"].to_numpy() / 1e5)
    # each cause leans on size differently, so the cause mix changes across rate deciles
    slopes = np.linspace(-0.4, 1.2, K)
    rate = BASE_RATES * np.exp(np.outer(size, slopes))
    mu = BASE_MU + 0.3 * np.log10(frame["pii_records"].to_numpy() + 1.0)[:, np.newaxis] - 1.0
    exposure = np.round(rng.uniform(0.25, 1.5, n), 3)
    frame.insert(0, "exposure_years", exposure)
    frame.insert(0, "policy_id", [f"P{i:06d}" for i in range(n)])
    counts = rng.poisson(rate * exposure[:, np.newaxis])
    owner, cause = np.nonzero(counts)
    repeats = counts[owner, cause]
    owner, cause = np.repeat(owner, repeats), np.repeat(cause, repeats)
    losses = np.exp(mu[owner, cause] + SIGMA[cause] * rng.standard_normal(owner.size))
    holdout = Holdout(
        frame,
        counts.sum(axis=1).astype(float),
        exposure,
        owner,
        losses,
        cause,
    )
    return CauseBook(holdout, rate, mu, truth_of(frame["policy_id"], rate, mu))


def truth_of(policy_id: pd.Series, rate: np.ndarray, mu: np.ndarray) -> pd.DataFrame:
    """The truth-file frame of per-cause rates and lognormals (sigma of each cause)."""
    cols: dict[str, object] = {"policy_id": policy_id, "claim_rate_per_year": rate.sum(axis=1)}
    for c, cause in enumerate(CLAIM_CAUSES):
        cols[f"rate_{cause}"] = rate[:, c]
        cols[f"sev_mu_{cause}"] = mu[:, c]
        cols[f"sev_sigma_{cause}"] = np.full(len(rate), SIGMA[c])
    return pd.DataFrame(cols)[list(TRUTH_COLUMNS)]


def flat_mix(book: CauseBook, name: str) -> Predictions:
    """The truth's total rate and severities, but every policy with the portfolio's cause mix."""
    total = book.rate.sum(axis=1, keepdims=True)
    mix = book.rate.sum(axis=0) / book.rate.sum()
    return Predictions(name, CauseLosses(total * mix, book.mu, SIGMA, body_only()))
