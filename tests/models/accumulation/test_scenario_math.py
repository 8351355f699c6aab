"""Closed forms behind the catalog: waiting-period excess hours, SIR final size."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from models.accumulation.catalog import shipped_event_catalog
from models.accumulation.scenario_math import expected_excess_duration, sir_final_size


@pytest.mark.parametrize(("median", "sigma", "waiting"), [(10, 1, 8), (8, 1, 12), (15, 0.6, 12)])
def test_excess_duration_matches_numerical_integration(median, sigma, waiting):
    dist = stats.lognorm(s=sigma, scale=median)
    numeric, _ = integrate.quad(lambda d: (d - waiting) * dist.pdf(d), waiting, np.inf)
    assert expected_excess_duration(median, sigma, waiting) == pytest.approx(numeric, rel=1e-7)


def test_excess_duration_reference_value_and_no_waiting():
    # accumulation.md §7.5: D ~ lognormal(ln 10, 1), w = 8 h -> 9.957 h
    assert expected_excess_duration(10, 1, 8) == pytest.approx(9.957, abs=5e-4)
    assert expected_excess_duration(10, 1, 0) == pytest.approx(10 * math.exp(0.5))


@pytest.mark.parametrize(("r0", "z"), [(1.5, 0.583), (2.0, 0.797), (3.0, 0.941)])
def test_sir_final_size_solves_the_equation(r0, z):
    size = sir_final_size(r0)
    assert size == pytest.approx(1 - math.exp(-r0 * size), abs=1e-13)
    assert size == pytest.approx(z, abs=1e-3)  # the reference rounds to 3 places


def test_sir_no_outbreak_below_threshold():
    assert sir_final_size(0.9) == 0.0
    assert sir_final_size(1.0) == 0.0


def test_shipped_catalog_numbers_follow_the_closed_forms():
    events = {e.id: e for e in shipped_event_catalog().events}
    # an outage's BI: a share of budget per hour beyond the waiting period
    # (2.06e-5 of budget an hour, the catalog's CALIBRATION note) times E[(D - w)+]
    short = events["nimbus_cloud_outage"].loss.budget_median
    assert short == round(2.06e-5 * expected_excess_duration(8, 1, 12), 6)
    long_ratio = expected_excess_duration(15, 1, 12) / expected_excess_duration(8, 1, 12)
    assert events["nimbus_cloud_region_outage_long"].loss.budget_median == round(
        short * long_ratio, 6
    )
    ransomware = events["contagious_ransomware"].footprint.hit_probability
    assert ransomware == round(sir_final_size(1.5), 4)
