"""HTTP schemas of the book: policies, the book in force, its accumulation, the quote's impact."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

#: Simulated years a caller may ask for: at least the longest return period reported
#: (1-in-1,000), at most what one request may simulate (about 4 times the default).
YEARS_MIN, YEARS_MAX = 1_000, 200_000
SEED_MAX = 2**32 - 1


class BookPolicySchema(Schema):
    """One policy of the book (bound from a quote; cancelled ones stay in the history)."""

    policy_id = fields.String(
        required=True, metadata={"description": "'p_' + the hex part of the quote id"}
    )
    quote_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("in_force", "cancelled")))
    limit_usd = fields.Float(required=True, metadata={"description": "annual aggregate, USD"})
    retention_usd = fields.Float(required=True, metadata={"description": "per claim, USD"})
    premium_usd = fields.Float(required=True, metadata={"description": "the quote's gross premium"})
    coverages = fields.List(fields.String(), required=True)
    vendors = fields.List(
        fields.String(), required=True, metadata={"description": "as the city named them"}
    )
    vendors_canonical = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": "the names matched: trimmed, case folded, mapped through the event "
            "catalog's aliases at binding"
        },
    )
    bound_at = fields.String(required=True, metadata={"description": "UTC, ISO 8601"})
    bound_by = fields.String(required=True, metadata={"description": "key prefix of the binder"})
    cancelled_at = fields.String(allow_none=True, metadata={"description": "UTC, ISO 8601"})
    cancelled_by = fields.String(allow_none=True, metadata={"description": "key prefix"})


class PolicyResultSchema(Schema):
    policy_id = fields.String(required=True)
    policy = fields.Nested(BookPolicySchema, required=True)


class BookTotalsSchema(Schema):
    policies = fields.Integer(required=True, metadata={"description": "policies in force"})
    limit_usd = fields.Float(required=True, metadata={"description": "sum of the limits, USD"})
    premium_usd = fields.Float(required=True, metadata={"description": "sum of premiums, USD"})


class BookSchema(Schema):
    """The policies in force, in the order they were bound, and their totals."""

    book_revision = fields.Integer(
        required=True, metadata={"description": "id of the book's newest change (0: none)"}
    )
    policies = fields.List(fields.Nested(BookPolicySchema), required=True)
    totals = fields.Nested(BookTotalsSchema, required=True)


class AccumulationQuerySchema(Schema):
    # Query values arrive as text: marshmallow's Integer reads "1500", refuses "1500.5".
    years = fields.Integer(
        validate=validate.Range(min=YEARS_MIN, max=YEARS_MAX),
        metadata={"description": "simulated years; default 50,000 (POLISURE_BOOK_YEARS)"},
    )
    seed = fields.Integer(
        validate=validate.Range(min=0, max=SEED_MAX),
        metadata={"description": "simulation seed; default 2026 (POLISURE_BOOK_SEED)"},
    )


class SpofSchema(Schema):
    vendor = fields.String(required=True, metadata={"description": "canonical vendor name"})
    policies = fields.Integer(required=True, metadata={"description": "policies naming it"})
    limit_usd = fields.Float(required=True, metadata={"description": "their limits, USD"})
    aal_usd = fields.Float(required=True, metadata={"description": "AAL of its events, USD"})
    loss_1_in_200_usd = fields.Float(required=True)


_BY_RETURN_PERIOD = fields.Dict(keys=fields.String(), values=fields.Float())


class AccumulationSchema(Schema):
    """The book's loss distribution under the event catalog (CONTRACT §7)."""

    aal_usd = fields.Float(required=True, metadata={"description": "average annual loss, USD"})
    ep = fields.Dict(
        keys=fields.String(validate=validate.OneOf(("oep", "aep", "oep_tvar", "aep_tvar"))),
        values=_BY_RETURN_PERIOD,
        required=True,
        metadata={"description": "loss (USD) by return period in years ('2' ... '1000')"},
    )
    spof = fields.List(
        fields.Nested(SpofSchema),
        required=True,
        metadata={"description": "single points of failure: one row per vendor, largest first"},
    )
    catalog_version = fields.String(required=True)
    years = fields.Integer(required=True)
    seed = fields.Integer(required=True)
    book_revision = fields.Integer(required=True)
    policies = fields.Integer(required=True, metadata={"description": "policies in force"})
    model_version = fields.String(
        required=True, metadata={"description": "the bundle that priced each city's own claims"}
    )


class PortfolioImpactSchema(Schema):
    """The book with this city minus the book without it, on the same simulated years."""

    delta_aal_usd = fields.Float(required=True)
    delta_oep_200_usd = fields.Float(required=True)
    delta_aep_200_usd = fields.Float(required=True)
    delta_aep_tvar_200_usd = fields.Float(required=True)
    book_revision = fields.Integer(required=True, metadata={"description": "the book priced on"})
    book_policies = fields.Integer(required=True, metadata={"description": "its policies"})
    catalog_version = fields.String(required=True)
    years = fields.Integer(required=True)
    seed = fields.Integer(required=True)
