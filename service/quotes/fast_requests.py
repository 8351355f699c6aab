"""The quote request schemas' fast path: a valid request loaded without marshmallow's machinery.

marshmallow takes ~145 us to load one city's exposure and policy (40 fields,
each through its field object, validators and error bookkeeping): a tenth of
a batched quote's time (issue 13). A valid request needs none of that
bookkeeping, so each schema here first tries ``fast_quote_request``: plain
checks of the same rules, generated from the same field spec
(models.spec.fields), which return exactly the dict marshmallow would (the
same keys in the same order, the same values and types), or None at the
first thing they do not accept. Then marshmallow loads the request as
before, and names every broken rule in its 400. So the fast path decides
nothing: it only skips work for requests marshmallow would load unchanged
(tests/service/quotes/test_fast_requests.py holds the two equal on
thousands of valid requests and refusing the same invalid ones).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError

from models.spec.fields import FIELDS, VENDOR_NAME_MAX_LENGTH, Field
from models.spec.schemas import check_cross_field_rules
from service.quotes import schemas
from service.quotes.schemas import (
    BATCH_MAX_ITEMS,
    COVERAGES,
    LIMIT_MAX_USD,
    LIMIT_MIN_USD,
    PERIOD_MAX_DAYS,
    PERIOD_MIN_DAYS,
    REFERENCE_MAX,
    PolicySchema,
    QuoteBatchItemSchema,
    vendor_name_problems,
)

#: What a field's check returns for a value it does not accept (None is a value: vendors).
REFUSED = object()
_Check = Callable[[Any], Any]


def _whole_number(v: Any, low: float, high: float) -> int | None:
    """models.spec.schemas.WholeNumber's load: an int, or a whole float made int; in range."""
    kind = type(v)
    if kind is float and math.isfinite(v) and v.is_integer():
        v = int(v)
    elif kind is not int:  # bool is not int here: type(True) is bool
        return None
    return v if low <= v <= high else None


def _finite_number(v: Any, low: float, high: float) -> float | None:
    """models.spec.schemas.FiniteNumber's load: an int or float made float, finite, in range."""
    if type(v) is not float and type(v) is not int:
        return None
    try:
        x = float(v)
    except OverflowError:  # an int past the float range: marshmallow names it
        return None
    return x if math.isfinite(x) and low <= x <= high else None


def _bounded(rule: Callable[[Any, float, float], Any], f: Field) -> _Check:
    """A number field's check: ``rule`` (whole or finite) within the field's bounds."""
    low = -math.inf if f.minimum is None else f.minimum
    high = math.inf if f.maximum is None else f.maximum

    def check(v: Any) -> Any:
        loaded = rule(v, low, high)
        return REFUSED if loaded is None else loaded

    return check


def _boolean(v: Any) -> Any:
    return v if type(v) is bool else REFUSED


def _one_of(values: tuple[str, ...]) -> _Check:
    choices = frozenset(values)
    return lambda v: v if type(v) is str and v in choices else REFUSED


def _members(values: tuple[str, ...]) -> _Check:
    """A set field: a list of distinct choices, copied."""
    choices = frozenset(values)

    def check(v: Any) -> Any:
        if type(v) is not list or not _all_str(v) or not choices.issuperset(v):
            return REFUSED
        return list(v) if len(set(v)) == len(v) else REFUSED

    return check


def _all_str(v: list[Any]) -> bool:
    return all(type(x) is str for x in v)


def _names(f: Field) -> _Check:
    """The vendors list: None, or at most ``maximum`` names of 1-200 characters, copied."""
    most = int(f.maximum or 0)

    def check(v: Any) -> Any:
        if v is None:
            return None
        if type(v) is not list or len(v) > most or not _all_str(v):
            return REFUSED
        if not all(1 <= len(name) <= VENDOR_NAME_MAX_LENGTH for name in v):
            return REFUSED
        return list(v)

    return check


def _check_of(f: Field) -> _Check:
    if f.kind == "int":
        return _bounded(_whole_number, f)
    if f.kind == "number":
        return _bounded(_finite_number, f)
    if f.kind == "bool":
        return _boolean
    if f.kind in ("ordinal", "category"):
        return _one_of(f.values)
    if f.kind == "set":
        return _members(f.values)
    if f.kind == "list":
        return _names(f)
    raise ValueError(f"field {f.name}: unknown kind {f.kind!r}")


#: (name, required, check) in the schema's field order, which is the order of its output.
_EXPOSURE = tuple((f.name, f.model_feature, _check_of(f)) for f in FIELDS)
_EXPOSURE_NAMES = frozenset(f.name for f in FIELDS)
_COVERAGES = frozenset(COVERAGES)
_POLICY_NAMES = frozenset(PolicySchema._declared_fields)
_REQUEST_NAMES = frozenset(schemas.QuoteRequestSchema._declared_fields)
_ITEM_NAMES = frozenset(QuoteBatchItemSchema._declared_fields)
DEFAULT_PERIOD_DAYS = PolicySchema._declared_fields["period_days"].load_default


def fast_exposure(data: Any) -> dict[str, Any] | None:
    """ExposureSchema().load(data) for a valid exposure, else None."""
    if type(data) is not dict or not _EXPOSURE_NAMES.issuperset(data):
        return None
    out: dict[str, Any] = {}
    for name, required, check in _EXPOSURE:
        if name not in data:
            if required:
                return None
            continue
        value = check(data[name])
        if value is REFUSED:
            return None
        out[name] = value
    try:
        check_cross_field_rules(out)
    except ValidationError:
        return None
    return out


def fast_policy(data: Any) -> dict[str, Any] | None:
    """PolicySchema().load(data) for valid terms, else None (defaults and canonical order included)."""
    if type(data) is not dict or not _POLICY_NAMES.issuperset(data):
        return None
    limit = _finite_number(data.get("limit_usd"), LIMIT_MIN_USD, LIMIT_MAX_USD)
    retention = _finite_number(data.get("retention_usd"), 0.0, math.inf)
    if limit is None or retention is None or not retention < limit:
        return None
    chosen = set(COVERAGES)  # the default: every part
    if "coverages" in data:
        given = data["coverages"]
        if type(given) is not list or not given or not _all_str(given):
            return None
        chosen = set(given)
        if len(chosen) != len(given) or not _COVERAGES.issuperset(chosen):
            return None
    period = _whole_number(
        data.get("period_days", DEFAULT_PERIOD_DAYS), PERIOD_MIN_DAYS, PERIOD_MAX_DAYS
    )
    if period is None:
        return None
    return {
        "limit_usd": limit,
        "retention_usd": retention,
        "coverages": [c for c in COVERAGES if c in chosen],
        "period_days": period,
    }


def _text(v: Any, longest: float = math.inf) -> bool:
    return type(v) is str and 1 <= len(v) <= longest


def fast_quote_request(data: Any, *, with_reference: bool = False) -> dict[str, Any] | None:
    """QuoteRequestSchema().load(data) (QuoteBatchItemSchema's with ``with_reference``), else None."""
    if type(data) is not dict or not (_ITEM_NAMES if with_reference else _REQUEST_NAMES).issuperset(
        data
    ):
        return None
    exposure = fast_exposure(data.get("exposure"))
    if exposure is None or vendor_name_problems(exposure.get("vendors") or []):
        return None
    policy = fast_policy(data.get("policy"))
    if policy is None:
        return None
    out: dict[str, Any] = {"exposure": exposure}
    if "rating_plan_sha256" in data:
        if type(data["rating_plan_sha256"]) is not str:
            return None
        out["rating_plan_sha256"] = data["rating_plan_sha256"]
    out["policy"] = policy
    if "reference" in data:
        if not _text(data["reference"], REFERENCE_MAX):
            return None
        out["reference"] = data["reference"]
    return out


def _fast_batch(data: Any) -> dict[str, Any] | None:
    if type(data) is not dict or list(data) != ["quotes"] or type(data["quotes"]) is not list:
        return None
    if not 1 <= len(data["quotes"]) <= BATCH_MAX_ITEMS:
        return None
    items = []
    for item in data["quotes"]:
        loaded = fast_quote_request(item, with_reference=True)
        if loaded is None:
            return None
        items.append(loaded)
    return {"quotes": items}


class _FastLoad(Schema):
    """``load`` tries the class's ``fast`` loader first; marshmallow loads what it refuses."""

    fast: Callable[[Any], dict[str, Any] | None]

    def load(self, data: Any, *, many: Any = None, partial: Any = None, unknown: Any = None) -> Any:
        if many is None and partial is None and unknown is None:
            loaded = type(self).fast(data)
            if loaded is not None:
                return loaded
        return super().load(data, many=many, partial=partial, unknown=unknown)


# The same names as the schemas they speed up: OpenAPI names a schema by its class, and
# the published components stay QuoteRequest and QuoteBatchRequest.
class QuoteRequestSchema(_FastLoad, schemas.QuoteRequestSchema):  # type: ignore[no-redef]
    """A quote request: the city's exposure and the policy terms (loaded on the fast path when valid)."""

    fast = staticmethod(fast_quote_request)


class QuoteBatchRequestSchema(_FastLoad, schemas.QuoteBatchRequestSchema):  # type: ignore[no-redef]
    """Up to 1,000 quote requests (each item on the fast path; one refused: all by marshmallow)."""

    fast = staticmethod(_fast_batch)
