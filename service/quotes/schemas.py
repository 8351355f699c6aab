"""HTTP schemas of the quote API: request (policy + exposure) and response.

The exposure schema is generated from the field spec (models.spec.schemas); only
the policy terms and the quote envelope are written here. Numbers refuse
booleans, NaN and Infinity; enums refuse unknown values; unknown keys are
errors, so a misspelt field never silently falls back to a default.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from models.spec.contract import (
    COVERAGE_PARTS,
    LIMIT_USD_MAX,
    LIMIT_USD_MIN,
    PERIOD_DAYS_MAX,
    PERIOD_DAYS_MIN,
)
from models.spec.fields import SET_SEPARATOR
from models.spec.schemas import ExposureSchema, FiniteNumber, WholeNumber
from service.book.schemas import PortfolioImpactSchema
from service.quotes.explanation import ADD_UP, CauseLossSchema, DriverSchema, SeveritySchema

#: Coverage parts, in the rating plan's order (= CONTRACT §5's); quotes echo this order.
COVERAGES: tuple[str, ...] = COVERAGE_PARTS
LIMIT_MIN_USD, LIMIT_MAX_USD = LIMIT_USD_MIN, LIMIT_USD_MAX
PERIOD_MIN_DAYS, PERIOD_MAX_DAYS = PERIOD_DAYS_MIN, PERIOD_DAYS_MAX
IDEMPOTENCY_KEY_MAX = 255


class StrictString(fields.String):
    """A string that refuses numbers and booleans rather than stringifying them."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _distinct(members: list[str]) -> None:
    if len(set(members)) != len(members):
        raise ValidationError("Coverages must be distinct.")


class PolicySchema(Schema):
    """The policy terms to price."""

    limit_usd = FiniteNumber(
        required=True,
        validate=validate.Range(min=LIMIT_MIN_USD, max=LIMIT_MAX_USD),
        metadata={"description": "aggregate limit over the period, USD"},
    )
    retention_usd = FiniteNumber(
        required=True,
        validate=validate.Range(min=0),
        metadata={"description": "retention per claim, USD; 0 <= retention < limit"},
    )
    coverages = fields.List(
        StrictString(validate=validate.OneOf(COVERAGES)),
        validate=[validate.Length(min=1), _distinct],
        load_default=lambda: list(COVERAGES),
        metadata={"description": "coverage parts bought (a set); default: all"},
    )
    period_days = WholeNumber(
        load_default=365,
        validate=validate.Range(min=PERIOD_MIN_DAYS, max=PERIOD_MAX_DAYS),
        metadata={"description": "policy period, days"},
    )

    # Also when other fields failed: a 422 should name every offending field.
    @validates_schema(skip_on_field_errors=False)
    def _retention_below_limit(self, data: dict[str, Any], **kwargs: Any) -> None:
        limit, retention = data.get("limit_usd"), data.get("retention_usd")
        if limit is not None and retention is not None and retention >= limit:
            raise ValidationError(
                f"retention_usd must be < limit_usd (got {retention:g} >= {limit:g}).",
                "retention_usd",
            )

    @post_load
    def _canonical(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # A set: the same parts in any order are the same policy (and hash).
        chosen = set(data["coverages"])
        data["coverages"] = [c for c in COVERAGES if c in chosen]
        data["limit_usd"] = float(data["limit_usd"])
        data["retention_usd"] = float(data["retention_usd"])
        return data


def vendor_name_problems(vendors: list[str]) -> dict[int, list[str]]:
    """The rules a vendor name keeps beyond the spec's length: it must name something
    once trimmed (names match trimmed and case folded, CONTRACT §7), and must not hold
    the book file's separator "|", which would split it into two vendors."""
    problems: dict[int, list[str]] = {}
    for i, name in enumerate(vendors):
        if not isinstance(name, str):
            continue  # the field itself reported it
        if not name.strip():
            problems.setdefault(i, []).append("A vendor name must not be blank.")
        if SET_SEPARATOR in name:
            problems.setdefault(i, []).append(
                f"A vendor name must not contain {SET_SEPARATOR!r} (the book file's separator)."
            )
    return problems


class QuoteRequestSchema(Schema):
    """A quote request: the city's exposure and the policy terms.

    ``exposure.vendors`` (optional, at most 500 names) is stored with the
    quote and read only by the book's accumulation: names match after
    trimming and case folding, then through the event catalog's aliases.
    """

    exposure = fields.Nested(ExposureSchema, required=True)
    rating_plan_sha256 = fields.String(
        metadata={"description": "SHA-256 of the rating plan's content that priced the quote"}
    )
    policy = fields.Nested(PolicySchema, required=True)

    @validates_schema(skip_on_field_errors=False)
    def _vendor_names(self, data: dict[str, Any], **kwargs: Any) -> None:
        vendors = (data.get("exposure") or {}).get("vendors") or []
        problems = vendor_name_problems(vendors)
        if problems:
            raise ValidationError({"exposure": {"vendors": problems}})


#: Most cities in one POST /v1/quotes/batch (CONTRACT §8).
BATCH_MAX_ITEMS = 1000
REFERENCE_MAX = 255


class QuoteBatchItemSchema(QuoteRequestSchema):
    """One city of a batch: a quote request and the broker's own ``reference``, echoed back."""

    reference = StrictString(
        validate=validate.Length(min=1, max=REFERENCE_MAX),
        metadata={"description": "the caller's reference for this city, echoed in its quote"},
    )


class QuoteBatchRequestSchema(Schema):
    """Up to 1,000 quote requests, priced together and stored in one transaction."""

    quotes = fields.List(
        fields.Nested(QuoteBatchItemSchema),
        required=True,
        validate=validate.Length(min=1, max=BATCH_MAX_ITEMS),
        metadata={"description": f"1 to {BATCH_MAX_ITEMS} cities, quoted in this order"},
    )


class IdempotencyHeaderSchema(Schema):
    idempotency_key = StrictString(
        data_key="Idempotency-Key",
        validate=[
            validate.Length(min=1, max=IDEMPOTENCY_KEY_MAX),
            validate.Regexp(r"^[\x21-\x7e]+$", error="Use printable ASCII without spaces."),
        ],
        metadata={
            "description": "Retry safely: the same key and body return the same quote "
            "(replayed with header Idempotent-Replayed: true); the same key with "
            "another body is a 409. Keys are scoped to the tenant."
        },
    )


class DecisionReasonSchema(Schema):
    code = fields.String(metadata={"description": "machine-readable reason code"})
    message = fields.String(metadata={"description": "plain-language reason"})


class QuoteSchema(Schema):
    """A quote, exactly as stored (GET returns the same body)."""

    quote_id = fields.String(required=True)
    created_at = fields.String(required=True, metadata={"description": "UTC, ISO 8601"})
    model_version = fields.String(required=True)
    rating_plan_version = fields.String(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(("quote", "refer", "decline")))
    decision_reasons = fields.List(fields.Nested(DecisionReasonSchema), required=True)
    risk_score = fields.Float(required=True, metadata={"description": "0-100, higher = riskier"})
    risk_grade = fields.String(required=True, validate=validate.OneOf(tuple("ABCDE")))
    claim_probability = fields.Float(
        required=True, metadata={"description": "P(at least one claim in the period)"}
    )
    expected_claim_count = fields.Float(required=True, metadata={"description": "over the period"})
    claim_rate_per_year = fields.Float(
        required=True,
        metadata={
            "description": "expected ground-up claims per year, all causes (claims per year)"
        },
    )
    severity = fields.Nested(SeveritySchema, required=True)
    expected_annual_ground_up_loss_usd = fields.Float(
        required=True,
        metadata={
            "description": "expected loss per year before retention, limit and coverages, "
            "all causes, USD per year"
        },
    )
    expected_loss_usd = fields.Float(
        required=True,
        metadata={
            "description": "expected insured loss in the layer over the period (pure premium), USD"
        },
    )
    causes = fields.List(
        fields.Nested(CauseLossSchema),
        required=True,
        metadata={"description": f"{ADD_UP} The claim rate is claim_rate_per_year."},
    )
    expected_claims_in_layer = fields.Float(
        metadata={
            "description": "expected claims over the period whose covered loss exceeds "
            "the retention (they reach the layer)"
        }
    )
    limit_exhaustion_probability = fields.Float(
        metadata={"description": "P(the period's insured losses use up the aggregate limit)"}
    )
    fines_cap_usd = fields.Float(
        allow_none=True,
        metadata={
            "description": "most the regulatory-fines part pays per loss under the city's "
            "privacy regime, USD; null: no cap"
        },
    )
    premium_usd = fields.Float(required=True, metadata={"description": "gross premium, USD"})
    premium_breakdown = fields.Dict(
        keys=fields.String(), required=True, metadata={"description": "loadings and parts, USD"}
    )
    drivers = fields.List(
        fields.Nested(DriverSchema),
        required=True,
        metadata={"description": "the fields that move this quote most, largest effect first"},
    )
    loss_exceedance = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        required=True,
        metadata={
            "description": "insured loss over the policy period at 1-in-10, 1-in-100 and "
            "1-in-200, USD"
        },
    )
    rating_plan_sha256 = fields.String(
        metadata={"description": "SHA-256 of the rating plan's content that priced the quote"}
    )
    portfolio_impact = fields.Nested(
        PortfolioImpactSchema,
        metadata={
            "description": "only when the tenant's book has policies in force: the book with "
            "this city minus the book without it (CONTRACT §7), USD"
        },
    )
    reference = fields.String(
        metadata={"description": "batch quotes only: the reference sent with the city"}
    )
    policy = fields.Nested(PolicySchema, required=True)


class QuoteBatchSchema(Schema):
    """The batch's quotes, in the order of the request, each as POST /v1/quotes returns it."""

    quotes = fields.List(fields.Nested(QuoteSchema), required=True)
