"""PSI against hand-computed values and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.scoring.drift import (
    EPSILON,
    drift_flag,
    exposure_drift,
    field_bins,
    population_stability_index,
)
from models.spec.fields import FIELDS_BY_NAME
from tests.support.portfolio import exposure_frame


def test_psi_of_two_bins_by_hand():
    # (0.5 - 0.2) ln(0.5/0.2) + (0.5 - 0.8) ln(0.5/0.8)
    expected = 0.3 * math.log(2.5) - 0.3 * math.log(0.625)
    assert population_stability_index([0.2, 0.8], [0.5, 0.5]) == pytest.approx(expected)
    assert expected == pytest.approx(0.4158883, abs=1e-7)


def test_psi_floors_an_empty_bin_at_epsilon():
    # current share 0 in bin 2 becomes 1e-4; reference 0 in bin 3 becomes 1e-4
    ref, cur = [0.5, 0.5, 0.0], [0.5, 0.0, 0.5]
    expected = (EPSILON - 0.5) * math.log(EPSILON / 0.5) + (0.5 - EPSILON) * math.log(0.5 / EPSILON)
    assert population_stability_index(ref, cur) == pytest.approx(expected)
    # a bin empty on both sides adds nothing
    assert population_stability_index([1.0, 0.0], [1.0, 0.0]) == 0.0


def test_psi_is_symmetric():
    a, b = [0.1, 0.3, 0.6], [0.3, 0.3, 0.4]
    assert population_stability_index(a, b) == pytest.approx(population_stability_index(b, a))


def test_flags_at_the_thresholds():
    assert [drift_flag(x) for x in (0.0, 0.0999, 0.1, 0.25, 0.2501)] == [
        "stable",
        "stable",
        "moderate",
        "moderate",
        "significant",
    ]


def test_identical_samples_have_zero_psi_on_every_field():
    frame = exposure_frame(500, 3)
    drifts = exposure_drift(frame, frame.copy())
    assert len(drifts) == 40
    assert all(d.psi == 0.0 and d.flag == "stable" for d in drifts)


def test_numeric_bins_are_reference_deciles():
    reference = pd.Series(np.arange(1, 101, dtype=float))  # deciles 10.9, 20.8, ...
    field = FIELDS_BY_NAME["security_fte"]
    labels, ref_bins, _ = field_bins(field, reference, reference)
    assert len(labels) == 10
    assert np.bincount(ref_bins).tolist() == [10] * 10


def test_known_shift_gives_the_closed_form_psi():
    # Reference uniform on 1..1000 -> ten bins of 10%. Current: every value
    # moved up by 100, i.e. by one decile: bin 1 empty, bins 2-9 10%, bin 10 20%.
    reference = pd.Series(np.arange(1, 1001, dtype=float))
    current = reference + 100.0
    field = FIELDS_BY_NAME["security_fte"]
    labels, ref_bins, cur_bins = field_bins(field, reference, current)
    cur_share = np.bincount(cur_bins, minlength=len(labels)) / len(current)
    np.testing.assert_allclose(cur_share, [0.0] + [0.1] * 8 + [0.2])
    expected = (EPSILON - 0.1) * math.log(EPSILON / 0.1) + 0.1 * math.log(2.0)
    ref_share = np.bincount(ref_bins, minlength=len(labels)) / len(reference)
    assert population_stability_index(ref_share, cur_share) == pytest.approx(expected)


def test_constant_reference_column_gets_two_bins():
    field = FIELDS_BY_NAME["prior_incidents_3y"]
    reference, current = pd.Series([0] * 10), pd.Series([0] * 5 + [3] * 5)
    labels, ref_bins, cur_bins = field_bins(field, reference, current)
    assert labels == ("<= 0", "> 0")
    assert np.bincount(ref_bins, minlength=2).tolist() == [10, 0]
    assert np.bincount(cur_bins, minlength=2).tolist() == [5, 5]


def test_category_set_and_bool_shifts():
    frame = exposure_frame(400, 5)
    shifted = frame.copy()
    shifted["privacy_regime"] = "gdpr"  # every city in one level
    shifted["critical_services"] = ""  # every set empty
    shifted["monitoring_24x7"] = True
    by_field = {d.field: d for d in exposure_drift(frame, shifted)}
    for name in ("privacy_regime", "critical_services", "monitoring_24x7"):
        d = by_field[name]
        # oracle: the PSI of the reported shares, and those shares from the frames
        assert d.psi == pytest.approx(
            population_stability_index(d.reference_share, d.current_share)
        )
        assert d.flag == "significant"
    regime = by_field["privacy_regime"]
    share_gdpr = float(np.mean(frame["privacy_regime"] == "gdpr"))
    assert regime.reference_share[regime.bins.index("gdpr")] == pytest.approx(share_gdpr)
    assert by_field["monitoring_24x7"].current_share == (0.0, 1.0)
    assert by_field["population"].psi == 0.0


def test_unknown_level_is_a_clear_error():
    frame = exposure_frame(20, 1)
    bad = frame.copy()
    bad["privacy_regime"] = "hipaa"
    with pytest.raises(ValueError, match="privacy_regime: 'hipaa' is not one of"):
        exposure_drift(frame, bad)
