"""The quote engine on the shipped bundle: properties over valid exposures.

Oracle: the field spec's directions. Raising a "+" field (or lowering a "-"
field, or moving an ordinal one level toward risk, or adding a set member, or
turning a "+" boolean on) must never lower the expected insured loss, and no
valid exposure may make the engine fail or answer a non-finite number.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.pricing.premium import PolicyTerms
from models.pricing.spliced import spliced_mean
from models.spec.contract import CLAIM_CAUSES
from models.spec.fields import CROSS_FIELD_RULES, MODEL_FIELDS, Field
from models.underwriting.assessment import CityAssessor
from models.underwriting.city_pricer import risk_grade
from models.underwriting.quote_engine import QuoteEngine, load_quote_engine
from tests.support.city import city_exposure

TERMS = PolicyTerms(limit_usd=5e6, retention_usd=1e5)
POLICY = {
    "limit_usd": 5e6,
    "retention_usd": 1e5,
    "coverages": list(TERMS.coverages),
    "period_days": 365,
}
DIRECTED = [f for f in MODEL_FIELDS if f.direction != 0]


@pytest.fixture(scope="module")
def engine() -> QuoteEngine:
    return load_quote_engine()


def _value(f: Field) -> st.SearchStrategy[Any]:
    if f.kind == "int":
        low, high = int(f.minimum or 0), int(f.maximum or 0)
        # log-spread so small towns and megacities both appear
        return st.integers(0, 9).flatmap(
            lambda k: st.integers(low, max(low, min(high, low + 10**k)))
        )
    if f.kind == "number":
        return st.floats(f.minimum, f.maximum, allow_nan=False, allow_infinity=False)
    if f.kind == "bool":
        return st.booleans()
    if f.kind in ("ordinal", "category"):
        return st.sampled_from(f.values)
    return st.lists(st.sampled_from(f.values), unique=True)


@st.composite
def exposures(draw: st.DrawFn) -> dict[str, Any]:
    record = {f.name: draw(_value(f)) for f in MODEL_FIELDS}
    for rule in CROSS_FIELD_RULES:  # respect the cross-field rules: a share of the bound
        bound = sum(record[n] for n in rule.bound_fields)
        record[rule.field] = min(record[rule.field], bound)
    return record


def _riskier(f: Field, record: dict[str, Any]) -> Any | None:
    """The value one step toward more risk, or None when there is no such step."""
    value = record[f.name]
    if f.kind == "ordinal":
        i = f.values.index(value) + f.direction
        return f.values[i] if 0 <= i < len(f.values) else None
    if f.kind == "set":
        missing = [v for v in f.values if v not in value]
        return [*value, missing[0]] if missing else None
    if f.kind == "bool":
        target = f.direction > 0
        return target if value != target else None
    step = max(1.0, 0.25 * abs(value)) * f.direction
    new = min(max(value + step, f.minimum), f.maximum)
    new = int(new) if f.kind == "int" else float(new)
    if new == value:
        return None
    changed = dict(record, **{f.name: new})
    for rule in CROSS_FIELD_RULES:
        if changed[rule.field] > sum(changed[n] for n in rule.bound_fields):
            return None
    return new


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exposures())
def test_every_directed_field_moves_expected_loss_its_way(engine, record) -> None:
    variants = [record]
    moved: list[str] = []
    for f in DIRECTED:
        value = _riskier(f, record)
        if value is not None:
            variants.append(dict(record, **{f.name: value}))
            moved.append(f.name)
    scores = engine.score(variants)
    annual = scores.expected_annual_loss_usd
    base_layer = engine.price(scores, 0, record, TERMS).expected_loss_usd
    for i, name in enumerate(moved, start=1):
        assert annual[i] >= annual[0] * (1 - 1e-9), name
        layer = engine.price(scores, i, variants[i], TERMS).expected_loss_usd
        assert layer >= base_layer * (1 - 1e-6), name


@settings(max_examples=40, deadline=None)
@given(exposures())
def test_no_valid_exposure_fails_and_every_number_is_finite(engine, record) -> None:
    quote = engine.quote(record, POLICY)
    for name in ("premium_usd", "expected_loss_usd", "claim_probability", "risk_score"):
        assert math.isfinite(quote[name]), name
    assert 0 <= quote["risk_score"] <= 100
    assert quote["risk_grade"] == risk_grade(quote["risk_score"])
    assert 0 <= quote["claim_probability"] < 1
    assert 0 <= quote["expected_loss_usd"] <= POLICY["limit_usd"]
    assert quote["decision"] in ("quote", "refer", "decline")


def test_quote_is_the_pricing_of_the_scored_city(engine) -> None:
    """The quote's figures are price_policy of the booster outputs, nothing else."""
    city = city_exposure()
    quote = engine.quote(city, POLICY)
    scores = engine.score([city])
    priced = engine.price(scores, 0, city, TERMS)
    assert quote["premium_usd"] == priced.premium_usd
    assert quote["expected_loss_usd"] == priced.expected_loss_usd
    assert quote["claim_rate_per_year"] == scores.claim_rate_per_year[0]
    # ground-up: each cause's rate x its spliced mean, recomputed from the parameters
    losses = scores.losses.city(0)
    t = losses.tails
    means = spliced_mean(losses.mu, losses.sigma, t.z_u, t.xi, t.b)
    assert quote["expected_annual_ground_up_loss_usd"] == pytest.approx(
        float(np.sum(losses.rate * means)), rel=1e-12
    )
    causes = quote["causes"]
    assert [c["cause"] for c in causes] == list(CLAIM_CAUSES)
    for key in ("claim_rate_per_year", "expected_annual_ground_up_loss_usd", "expected_loss_usd"):
        assert sum(c[key] for c in causes) == pytest.approx(quote[key], rel=1e-9), key
    by_cause = quote["severity"]["by_cause"]
    assert [s["mean_loss_usd"] for s in by_cause] == pytest.approx(list(means), rel=1e-12)
    drivers = quote["drivers"]
    assert drivers and all(d["field"] in {f.name for f in MODEL_FIELDS} for d in drivers)
    assert np.all(np.diff([abs(d["log_effect"]) for d in drivers]) <= 0)


def test_quote_records_the_hash_of_the_rating_plan_it_used(engine) -> None:
    """The version names the plan; the hash proves its numbers (an in-place edit shows)."""
    quote = engine.quote(city_exposure(), POLICY)
    canonical = json.dumps(engine.plan.to_dict(), sort_keys=True, separators=(",", ":"))
    assert quote["rating_plan_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert quote["rating_plan_version"] == engine.plan.version
    edited_loads = dataclasses.replace(engine.plan.loads, expense_ratio=0.31)
    edited = dataclasses.replace(engine.plan, loads=edited_loads)
    assert QuoteEngine(engine.bundle, edited).plan_sha256 != quote["rating_plan_sha256"]


def test_the_service_seam_members_are_the_bundle_s_and_one_kept_assessor(engine) -> None:
    """What service.engine.protocol.QuoteEngine asks beyond quote and the versions."""
    assert engine.reference_exposures is engine.bundle.reference_exposures
    assessor = engine.self_assessor()
    assert engine.self_assessor() is assessor  # built once: it scores the reference sample
    assert assessor.engine is engine
    city = city_exposure()
    assert assessor.assess(city) == CityAssessor(engine).assess(city)
    # An engine rebuilt from the same parts starts without one of its own.
    assert dataclasses.replace(engine).self_assessor() is not assessor
