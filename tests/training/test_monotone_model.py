"""The trained loss model follows the spec's directions: a riskier feature never prices lower.

Oracle: the structure of the model (models/scoring/frequency.py, severity.py).
Every cause's log claim rate is a signed log-linear start (slopes of the
feature's sign on a nondecreasing transform) plus trees with XGBoost's
monotone constraints, so it is nondecreasing in every directed feature moved
its risky way; the severity location is a monotone booster too, and the
spliced mean and layer loss of one claim rise with the location (sigma and
tail fixed per cause), so the expected annual ground-up loss and the
standard-layer annual loss (sums over causes of rate x a per-claim figure)
cannot fall either. Checked exactly, up to 1e-12 relative (the start's sums
and the spliced formulas' rounding), along a grid of each feature's values
for many seeded cities, on the session's trained bundle and on the shipped
one (the bundle models/bundles/ACTIVE names, which every quote prices with).
"""

from __future__ import annotations

import numpy as np
import pytest

from models.scoring.batch import STANDARD_LIMIT_USD, STANDARD_RETENTION_USD
from models.scoring.features import FEATURE_NAMES, MONOTONE_CONSTRAINTS, build_features
from models.versions.registry import DEFAULT_MODELS_DIR, Registry
from tests.support.portfolio import exposure_frame

ROWS = 120  # seeded cities
GRID = 12  # values of the moved feature: quantiles of the cities' own
REL = 1e-12
DIRECTED = [j for j, c in enumerate(MONOTONE_CONSTRAINTS) if c != 0]


def _never_lower(values: np.ndarray) -> np.ndarray:
    """Per city, True when ``values`` (rows, grid, ...) never falls along the grid."""
    step = np.diff(values, axis=1)
    return np.all(step >= -REL * np.abs(values[:, :-1]), axis=tuple(range(1, values.ndim)))


@pytest.fixture(scope="module", params=["trained", "shipped"])
def moved(request):
    """For each directed feature: rates (rows, grid, K), annual and layer losses (rows, grid)."""
    if request.param == "trained":
        bundle = request.getfixturevalue("trained_registry").load()
    else:
        bundle = Registry(DEFAULT_MODELS_DIR).load()  # the version ACTIVE names
    base = build_features(exposure_frame(ROWS, seed=2024))
    out = {}
    for j in DIRECTED:
        values = np.unique(np.quantile(base[:, j], np.linspace(0, 1, GRID)).astype(np.float32))
        if MONOTONE_CONSTRAINTS[j] < 0:
            values = values[::-1]  # the risky way of a protective feature is down
        grid = np.repeat(base, len(values), axis=0)
        grid[:, j] = np.tile(values, ROWS)
        losses = bundle.predict_losses(grid)
        shape = (ROWS, len(values))
        out[FEATURE_NAMES[j]] = (
            losses.rate.reshape(*shape, -1),
            losses.expected_annual_loss().reshape(shape),
            losses.annual_layer_loss(STANDARD_RETENTION_USD, STANDARD_LIMIT_USD).reshape(shape),
        )
    return out


def test_every_directed_feature_is_moved_along_a_grid(moved):
    assert len(DIRECTED) > 50 and set(moved) == {FEATURE_NAMES[j] for j in DIRECTED}
    # a grid of at least two values: each feature varies among the seeded cities
    assert all(rate.shape[1] >= 2 for rate, _, _ in moved.values())


def test_no_cause_s_claim_rate_falls_when_a_feature_moves_its_risky_way(moved):
    falls = {name: int(np.sum(~_never_lower(rate))) for name, (rate, _, _) in moved.items()}
    assert all(n == 0 for n in falls.values()), {k: v for k, v in falls.items() if v}


def test_neither_the_annual_loss_nor_the_standard_layer_falls(moved):
    for label, part in (("ground-up", 1), ("standard layer", 2)):
        falls = {name: int(np.sum(~_never_lower(v[part]))) for name, v in moved.items()}
        assert all(n == 0 for n in falls.values()), (label, {k: v for k, v in falls.items() if v})


def test_the_model_does_move_so_the_checks_can_fail(moved):
    # were every price flat, the checks above would hold for any model; the trained one
    # rises strictly along the grid of many features, so the other way round it would fail
    def rising(values: np.ndarray) -> bool:
        return bool(np.any(np.diff(values, axis=1) > REL * np.abs(values[:, :-1])))

    for part in range(3):
        assert sum(rising(v[part]) for v in moved.values()) >= 5
    assert rising(moved["population"][0]) and rising(moved["population"][1])
