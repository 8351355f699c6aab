"""The request schemas' fast path against marshmallow's own load of the same schemas.

Oracle: the marshmallow schemas of service/quotes/schemas.py, which the fast
path only skips: on thousands of seeded requests, valid and broken one rule
at a time, whatever the fast path returns must be exactly what marshmallow
loads (the same keys in the same order, the same values of the same types:
compared as JSON text, where 3 and 3.0 or true and 1 differ), every request
marshmallow refuses must be refused by the fast path too, and every valid
request must take it (else it saves nothing).
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pytest
from marshmallow import ValidationError

from models.spec.fields import FIELDS, VENDOR_NAME_MAX_LENGTH
from service.quotes import fast_requests, schemas
from tests.support.city import city_exposure

SEED = 20261203
MARSHMALLOW_REQUEST = schemas.QuoteRequestSchema()
MARSHMALLOW_BATCH = schemas.QuoteBatchRequestSchema()


def _value(f: Any, rng: np.random.Generator) -> Any:
    low = f.minimum if f.minimum is not None else 0.0
    high = f.maximum if f.maximum is not None else low + 1e7
    if f.kind == "int":
        v = int(rng.integers(math.ceil(low), int(high) + 1))
        return float(v) if rng.random() < 0.2 else v  # a whole float is a whole number
    if f.kind == "number":
        if rng.random() < 0.2:
            return int(rng.integers(math.ceil(low), int(high) + 1))
        return (
            float(rng.choice([low, high])) if rng.random() < 0.1 else float(rng.uniform(low, high))
        )
    if f.kind == "bool":
        return bool(rng.random() < 0.5)
    if f.kind in ("ordinal", "category"):
        return str(rng.choice(f.values))
    if f.kind == "set":
        k = int(rng.integers(0, len(f.values) + 1))
        return [str(v) for v in rng.permutation(f.values)[:k]]
    raise AssertionError(f.kind)


def valid_request(rng: np.random.Generator, reference: bool = False) -> dict[str, Any]:
    exposure = {f.name: _value(f, rng) for f in FIELDS if f.model_feature}
    # the cross-field rules: bounded counts no larger than what bounds them
    exposure["internet_exposed_devices"] = min(
        exposure["internet_exposed_devices"],
        exposure["iot_device_count"] + exposure["ot_device_count"],
    )
    for name in ("critical_vendor_count", "vendors_with_remote_access"):
        exposure[name] = min(exposure[name], exposure["vendor_count"])
    draw = rng.random()
    if draw < 0.3:
        exposure["vendors"] = [f"Vendor {i} Ltd" for i in range(int(rng.integers(0, 6)))]
    elif draw < 0.4:
        exposure["vendors"] = None
    keys = list(exposure)
    exposure = {k: exposure[k] for k in rng.permutation(keys)}  # any key order in
    limit = float(rng.choice([1e5, 1e6, 5e6, 25e6, 5e8]))
    policy: dict[str, Any] = {"limit_usd": limit, "retention_usd": float(rng.uniform(0, limit / 2))}
    if rng.random() < 0.5:
        k = int(rng.integers(1, len(schemas.COVERAGES) + 1))
        policy["coverages"] = [str(c) for c in rng.permutation(schemas.COVERAGES)[:k]]
    if rng.random() < 0.5:
        policy["period_days"] = int(rng.integers(1, 1097))
    if rng.random() < 0.3:
        policy["limit_usd"] = int(limit)  # an integer limit is a number
    body: dict[str, Any] = {"exposure": exposure, "policy": policy}
    if rng.random() < 0.2:
        body["rating_plan_sha256"] = "ab" * 32
    if reference and rng.random() < 0.7:
        body["reference"] = f"city-{int(rng.integers(0, 10**6))}"
    return body


#: One broken rule each: (where, key, bad value); None as key adds an unknown key.
BROKEN: list[tuple[str, str, Any]] = [
    ("exposure", "population", "850000"),
    ("exposure", "population", True),
    ("exposure", "population", 2.5),
    ("exposure", "population", -1),
    ("exposure", "population", None),
    ("exposure", "population", math.nan),
    ("exposure", "annual_revenue_usd", math.inf),
    ("exposure", "annual_revenue_usd", "4.2e9"),
    ("exposure", "annual_revenue_usd", 10**400),
    ("exposure", "security_fte", False),
    ("exposure", "default_credentials_pct", 100.5),
    ("exposure", "monitoring_24x7", 1),
    ("exposure", "it_ot_segmentation", "firewall-ish"),
    ("exposure", "it_ot_segmentation", 3),
    ("exposure", "critical_services", ["water", "water"]),
    ("exposure", "critical_services", ["water", "moon_base"]),
    ("exposure", "critical_services", "water"),
    ("exposure", "critical_services", ["water", 1]),
    ("exposure", "vendors", ["  "]),
    ("exposure", "vendors", ["A|B"]),
    ("exposure", "vendors", [""]),
    ("exposure", "vendors", ["x" * (VENDOR_NAME_MAX_LENGTH + 1)]),
    ("exposure", "vendors", [f"v{i}" for i in range(501)]),
    ("exposure", "vendors", "Acme"),
    ("exposure", "internet_exposed_devices", 10**8),
    ("exposure", "unknown_field", 1),
    ("policy", "limit_usd", 1.0),
    ("policy", "limit_usd", "5e6"),
    ("policy", "limit_usd", None),
    ("policy", "retention_usd", -1.0),
    ("policy", "retention_usd", 6e8),
    ("policy", "coverages", []),
    ("policy", "coverages", None),
    ("policy", "coverages", ["extortion", "extortion"]),
    ("policy", "coverages", ["snacks"]),
    ("policy", "period_days", 0),
    ("policy", "period_days", 36.5),
    ("policy", "period_days", True),
    ("policy", "deductible", 1),
    ("body", "rating_plan_sha256", None),
    ("body", "rating_plan_sha256", 7),
    ("body", "reference", ""),
    ("body", "reference", "r" * 256),
    ("body", "reference", 12),
    ("body", "extra", {}),
]


def _broken(body: dict[str, Any], where: str, key: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    target = out if where == "body" else out[where]
    target[key] = value
    return out


def _marshmallow(schema: Any, body: Any) -> Any:
    try:
        return schema.load(body)
    except ValidationError:
        return ValidationError


def _text(value: Any) -> str:
    return json.dumps(value)  # keeps key order, and 3 apart from 3.0, true apart from 1


@pytest.fixture(scope="module")
def requests_() -> list[dict[str, Any]]:
    rng = np.random.default_rng(SEED)
    return [valid_request(rng) for _ in range(1500)]


def test_every_valid_request_takes_the_fast_path_and_loads_as_marshmallow_does(requests_) -> None:
    for body in requests_:
        fast = fast_requests.fast_quote_request(body)
        assert fast is not None, body
        assert _text(fast) == _text(MARSHMALLOW_REQUEST.load(body))


def test_the_sample_city_with_missing_optional_parts_loads_the_same() -> None:
    body = {"exposure": city_exposure(), "policy": {"limit_usd": 5e6, "retention_usd": 0}}
    loaded = fast_requests.QuoteRequestSchema().load(body)
    assert _text(loaded) == _text(MARSHMALLOW_REQUEST.load(body))
    assert loaded["policy"]["coverages"] == list(schemas.COVERAGES)  # the default, in order
    assert loaded["policy"]["period_days"] == 365


@pytest.mark.parametrize(("where", "key", "value"), BROKEN, ids=lambda x: str(x)[:24])
def test_a_request_broken_one_way_is_refused_by_both_and_marshmallow_names_it(
    requests_, where: str, key: str, value: Any
) -> None:
    for body in requests_[:40]:
        bad = _broken(body, where, key, value)
        reference = where == "body" and key == "reference"
        schema = schemas.QuoteBatchItemSchema() if reference else MARSHMALLOW_REQUEST
        expected = _marshmallow(schema, bad)
        fast = fast_requests.fast_quote_request(bad, with_reference=reference)
        if expected is ValidationError:
            assert fast is None
            with pytest.raises(ValidationError):  # the 400 comes from marshmallow, as before
                (fast_requests.QuoteRequestSchema() if not reference else schema).load(bad)
        else:  # a value the rule happens to allow on this request (a count under its bound)
            assert fast is None or _text(fast) == _text(expected)


def test_missing_parts_and_wrong_shapes_fall_back() -> None:
    body = {"exposure": city_exposure(), "policy": {"limit_usd": 5e6, "retention_usd": 0.0}}
    for bad in ({}, [], "x", {"exposure": body["exposure"]}, {"policy": body["policy"]}):
        assert fast_requests.fast_quote_request(bad) is None
    exposure = city_exposure()
    del exposure["population"]
    assert fast_requests.fast_exposure(exposure) is None


def test_a_batch_loads_as_marshmallow_does_and_a_broken_item_is_named_by_index(requests_) -> None:
    rng = np.random.default_rng(SEED + 1)
    items = [valid_request(rng, reference=True) for _ in range(200)]
    batch = {"quotes": items}
    fast = fast_requests.QuoteBatchRequestSchema().load(batch)
    assert fast == fast_requests._fast_batch(batch)  # the fast path was taken
    assert _text(fast) == _text(MARSHMALLOW_BATCH.load(batch))
    broken = copy.deepcopy(batch)
    broken["quotes"][137]["policy"]["period_days"] = 0
    with pytest.raises(ValidationError) as refused:
        fast_requests.QuoteBatchRequestSchema().load(broken)
    assert list(refused.value.messages["quotes"]) == [137]
    for bad in ({"quotes": []}, {"quotes": items * 6}, {"quotes": items, "more": 1}):
        assert fast_requests._fast_batch(bad) is None
