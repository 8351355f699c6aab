"""Calibration of the synthetic portfolio against shared/reference/loss-figures.md.

One 200,000-policy portfolio (seed 7) is generated per test module; each
published target is checked on it (training.world.calibration says which
statistic is analytic truth and which is empirical, and on which population).
"""

from __future__ import annotations

import numpy as np
import pytest

from models.spec.fields import MODEL_FIELDS
from training.world.calibration import Target, control_cut, measure
from training.world.portfolio import Portfolio, generate_portfolio
from training.world.rates import RECORDS_ELASTICITY, truth_parameters
from training.world.truth import truth_ilf_curve

N_POLICIES, SEED = 200_000, 7


@pytest.fixture(scope="module")
def portfolio() -> Portfolio:
    return generate_portfolio(N_POLICIES, SEED)


@pytest.fixture(scope="module")
def targets(portfolio: Portfolio) -> list[Target]:
    return measure(portfolio)


@pytest.mark.parametrize(
    "number",
    [1, 3, 4, 5, 6, 7, 8, 11, 12],
    ids=lambda n: f"target-{n}",
)
def test_every_measured_target_is_inside_its_band(targets: list[Target], number: int) -> None:
    rows = [t for t in targets if t.number == number]
    assert rows, f"target {number} is not measured"
    out = [f"{t.name} ({t.population}) = {t.value:.4g} not in [{t.low}, {t.high}]"
           for t in rows if not t.ok]  # fmt: skip
    assert not out, "; ".join(out)


def test_claim_frequency_matches_the_truth_rates(portfolio: Portfolio) -> None:
    # Poisson oracle: observed count within 4 standard deviations of its expectation.
    expected = float(
        (portfolio.truth["claim_rate_per_year"] * portfolio.policies["exposure_years"]).sum()
    )
    assert abs(len(portfolio.claims) - expected) < 4.0 * np.sqrt(expected)


def test_claim_rate_far_below_the_attack_rate(portfolio: Portfolio) -> None:
    # Target 2: Sophos reports 30-70% of councils attacked a year; claims are far rarer.
    assert portfolio.truth["claim_rate_per_year"].median() < 0.05


def test_records_elasticity_is_exact_in_the_truth(portfolio: Portfolio) -> None:
    frame = portfolio.policies.head(2000)
    more = frame.assign(pii_records=frame["pii_records"] * 10)
    big = frame["pii_records"] > 10_000  # the +100 offset is negligible above 10k records
    slope = (
        truth_parameters(more)["sev_mu_data_breach"] - truth_parameters(frame)["sev_mu_data_breach"]
    ) / np.log(10.0)
    assert np.allclose(slope[big], RECORDS_ELASTICITY, atol=0.01)


def test_ilf_curve_is_increasing_and_concave(portfolio: Portfolio) -> None:
    limits = np.array([1e5, 2.5e5, 5e5, 1e6, 2e6, 5e6, 1e7, 2.5e7])
    ilf = truth_ilf_curve(portfolio.truth, limits).to_numpy()
    assert ilf[3] == pytest.approx(1.0)
    slopes = np.diff(ilf) / np.diff(limits)  # each extra dollar of limit buys less
    assert np.all(slopes > 0)
    assert np.all(np.diff(slopes) < 0)


def _best_value(name: str) -> object:
    f = next(f for f in MODEL_FIELDS if f.name == name)
    if f.kind == "ordinal":
        return f.values[0] if f.direction > 0 else f.values[-1]
    return f.target


@pytest.mark.parametrize("field", [f.name for f in MODEL_FIELDS if f.actionable])
def test_no_single_control_cuts_expected_loss_by_more_than_35_percent(
    portfolio: Portfolio, field: str
) -> None:
    # Target 10 (IBM control credits), checked on the worst-placed policy of a
    # 20k sub-portfolio moving from its answer to the best possible one.
    sub = Portfolio(portfolio.policies.head(20_000), portfolio.claims, portfolio.truth.head(20_000))
    assert control_cut(sub, field, _best_value(field)) <= 0.36
