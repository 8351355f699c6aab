"""Batch quotes and the fast scoring path on the shipped bundle.

Oracles: (1) the single quote of each item (a batch item must equal it bit
for bit); (2) the same quotes priced through XGBoost's own predictor (the
engine with the numpy tree walk switched off): every premium and price to
1e-9, and the explanations (drivers) to float32 precision, since XGBoost
sums Saabas contributions in float32.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from models.pricing.premium import PricingInputError
from models.scoring.loss_model import LossModel
from models.spec.contract import COVERAGE_PARTS
from models.underwriting.quote_engine import QuoteEngine, QuoteItemError, load_quote_engine
from tests.support.city import city_exposure

ITEMS = 40


@pytest.fixture(scope="module")
def engine() -> QuoteEngine:
    return load_quote_engine()


@pytest.fixture(scope="module")
def xgboost_engine() -> QuoteEngine:
    """The engine whose boosters are asked through XGBoost (no tree walk)."""
    engine = load_quote_engine()
    model: LossModel = engine.bundle.model
    # cached_property: setting the instance's entry to None means "no forest"
    model.frequency.__dict__["forest"] = None
    model.severity.__dict__["forest"] = None
    return engine


SAMPLE_POPULATION = city_exposure()["population"]
#: The test city's counts that grow with a city's size.
SIZED_FIELDS = (
    "employee_count", "iot_device_count", "ot_device_count", "internet_exposed_devices",
    "vendor_count", "critical_vendor_count", "vendors_with_remote_access",
)  # fmt: skip


def _varied_items(n: int, seed: int) -> list[tuple[dict[str, Any], dict[str, Any], float]]:
    """``n`` cities and policies around the test city, from a seeded rng."""
    rng = np.random.default_rng(seed)
    items = []
    for _ in range(n):
        exposure = city_exposure()
        # towns to metropolises, log-uniform, their staff, devices and vendors in proportion
        exposure["population"] = int(np.exp(rng.uniform(np.log(5_000), np.log(5_000_000))))
        exposure["annual_revenue_usd"] = float(exposure["population"] * rng.uniform(500, 5000))
        scale = exposure["population"] / SAMPLE_POPULATION
        for name in SIZED_FIELDS:
            exposure[name] = max(int(exposure[name] * scale), 1)
        exposure["internet_exposed_devices"] = min(
            exposure["internet_exposed_devices"],
            exposure["iot_device_count"] + exposure["ot_device_count"],
        )
        exposure["critical_vendor_count"] = min(
            exposure["critical_vendor_count"], exposure["vendor_count"]
        )
        exposure["vendors_with_remote_access"] = min(
            exposure["vendors_with_remote_access"], exposure["vendor_count"]
        )
        exposure["prior_incidents_3y"] = int(rng.integers(0, 8))
        exposure["edr_coverage_pct"] = float(rng.uniform(0, 100))
        exposure["pii_records"] = int(rng.integers(1_000, 20_000_000))
        exposure["mfa_remote"] = str(rng.choice(["none", "partial", "all", "phishing_resistant"]))
        exposure["backup_isolation"] = str(rng.choice(["none", "online", "offline_or_immutable"]))
        parts = [c for c in COVERAGE_PARTS if rng.random() < 0.7] or [COVERAGE_PARTS[0]]
        limit = float(rng.choice([1e6, 5e6, 25e6, 100e6]))
        policy = {
            "limit_usd": limit,
            "retention_usd": float(rng.choice([0.0, 50e3, 250e3])),
            "coverages": parts,
            "period_days": int(rng.choice([180, 365, 730])),
        }
        items.append((exposure, policy, float(rng.choice([0.0, 0.0, 2e5]))))
    return items


def test_a_batch_item_equals_its_single_quote_bit_for_bit(engine: QuoteEngine) -> None:
    items = _varied_items(ITEMS, seed=21)
    batch = engine.quote_batch(items)
    assert len(batch) == ITEMS
    for item, quote in zip(items, batch, strict=True):
        assert json.dumps(engine.quote(*item)) == json.dumps(quote)
    assert len({q["premium_usd"] for q in batch}) == ITEMS  # varied, not one quote forty times
    assert {q["decision"] for q in batch} >= {"quote"}


def _numbers(value: Any, path: str = "") -> dict[str, float]:
    """Every number of a JSON value by its path (drivers left out: they are compared apart)."""
    if isinstance(value, dict):
        out: dict[str, float] = {}
        for k, v in value.items():
            if k != "drivers":
                out |= _numbers(v, f"{path}.{k}")
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out |= _numbers(v, f"{path}.{i}")
        return out
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {path: float(value)}
    return {}


def test_the_fast_path_prices_as_the_xgboost_path(
    engine: QuoteEngine, xgboost_engine: QuoteEngine
) -> None:
    assert xgboost_engine.bundle.model.frequency.forest is None
    assert engine.bundle.model.frequency.forest is not None
    items = _varied_items(ITEMS, seed=22)
    fast = engine.quote_batch(items)
    slow = [xgboost_engine.quote(*item) for item in items]
    for a, b in zip(fast, slow, strict=True):
        assert a["decision"] == b["decision"] and a["risk_grade"] == b["risk_grade"]
        numbers_a, numbers_b = _numbers(a), _numbers(b)
        assert numbers_a.keys() == numbers_b.keys()
        for path, x in numbers_a.items():
            assert math.isclose(x, numbers_b[path], rel_tol=1e-9, abs_tol=1e-9), path
        # drivers: the same fields, effects equal to float32 precision of the sums
        assert [d["field"] for d in a["drivers"]] == [d["field"] for d in b["drivers"]]
        for da, db in zip(a["drivers"], b["drivers"], strict=True):
            assert da["cause"] == db["cause"]
            assert da["log_effect"] == pytest.approx(db["log_effect"], rel=1e-5, abs=1e-6)
            assert da["effect_usd"] == pytest.approx(db["effect_usd"], rel=1e-5, abs=1e-3)


def test_a_refused_item_is_named_by_its_index(engine: QuoteEngine) -> None:
    items = _varied_items(3, seed=23)
    exposure, policy, tvar = items[2]
    items[2] = (exposure, {**policy, "retention_usd": policy["limit_usd"]}, tvar)
    with pytest.raises(QuoteItemError) as caught:
        engine.quote_batch(items)
    assert caught.value.index == 2 and str(caught.value).startswith("quotes.2: ")
    with pytest.raises(PricingInputError, match="retention_usd"):
        engine.quote(*items[2])  # a single quote raises the pricing error itself
