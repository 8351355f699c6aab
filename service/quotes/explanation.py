"""Where a quote's or an assessment's expected loss comes from: causes, severities, drivers.

CONTRACT §6 splits every quote and assessment by claim cause
(models.spec.contract.CLAIM_CAUSES) so that an underwriter can see which kind
of incident the price pays for, and reconcile it: the causes' claim rates and
losses add up to the response's totals. These schemas only document what the
engine returns (/openapi.json, /docs). The service never re-encodes a quote
through them: the stored response text is what POST returned and GET returns,
so a figure cannot drift between the two.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from models.spec.contract import CLAIM_CAUSES

#: A driver's ``cause`` when the field moves the claim rate of every cause most.
#: The rule of CONTRACT §6, said once for every list of causes in the API.
ADD_UP = (
    "One entry per claim cause, in the order of CONTRACT §2. Over the entries, "
    "claim_rate_per_year adds up to the city's claim rate per year (all causes), and "
    "expected_annual_ground_up_loss_usd and expected_loss_usd add up to the response's "
    "fields of the same names (up to rounding)."
)


class CauseLossSchema(Schema):
    """One claim cause's part of the claim rate and of the expected losses."""

    cause = fields.String(
        required=True,
        validate=validate.OneOf(CLAIM_CAUSES),
        metadata={"description": "the claim cause (CONTRACT §2)"},
    )
    claim_rate_per_year = fields.Float(
        required=True,
        metadata={
            "description": "expected ground-up claims from this cause, claims per year; "
            "the causes' rates add up to the claim rate per year of all causes"
        },
    )
    expected_annual_ground_up_loss_usd = fields.Float(
        required=True,
        metadata={
            "description": "expected loss from this cause before retention, limit and "
            "coverages, USD per year; the causes' losses add up to "
            "expected_annual_ground_up_loss_usd"
        },
    )
    expected_loss_usd = fields.Float(
        required=True,
        metadata={
            "description": "expected insured loss from this cause inside the layer "
            "(above the retention, within the limit, for the coverages bought) over the "
            "policy period, USD; the causes' losses add up to expected_loss_usd"
        },
    )


class CauseSeveritySchema(Schema):
    """One cause's severity of one ground-up loss: a lognormal body, a GPD tail."""

    cause = fields.String(
        required=True,
        validate=validate.OneOf(CLAIM_CAUSES),
        metadata={"description": "the claim cause (CONTRACT §2)"},
    )
    mu = fields.Float(
        required=True,
        metadata={"description": "location of the lognormal body: mean of ln(loss in USD)"},
    )
    sigma = fields.Float(
        required=True,
        metadata={"description": "scale of the lognormal body: standard deviation of ln(loss)"},
    )
    tail_threshold_usd = fields.Float(
        required=True,
        metadata={
            "description": "USD; a loss above it follows the generalised Pareto tail, and "
            "the body keeps its lognormal probability below it"
        },
    )
    tail_shape_xi = fields.Float(
        required=True,
        metadata={
            "description": "shape of the generalised Pareto tail, dimensionless "
            "(> 0: a heavy tail; < 0: a tail with an upper end; always < 1, so the "
            "mean is finite)"
        },
    )
    tail_scale_b = fields.Float(
        required=True,
        metadata={
            "description": "scale of the generalised Pareto tail of the relative excess "
            "loss / tail_threshold_usd - 1, dimensionless (a multiple of the threshold)"
        },
    )
    mean_loss_usd = fields.Float(
        required=True,
        metadata={"description": "mean of one ground-up loss from this cause, USD"},
    )


class SeveritySchema(Schema):
    """The severity of one ground-up loss, by cause."""

    distribution = fields.String(
        required=True,
        metadata={
            "description": "the family: lognormal body, generalised Pareto tail above the threshold"
        },
    )
    by_cause = fields.List(
        fields.Nested(CauseSeveritySchema),
        required=True,
        metadata={"description": "one entry per claim cause, in the order of CONTRACT §2"},
    )


class DriverSchema(Schema):
    """One exposure field that moves this city's expected loss, and through which cause."""

    field = fields.String(metadata={"description": "exposure field name"})
    label = fields.String(metadata={"description": "plain-language label of the field"})
    value = fields.Raw(metadata={"description": "the field's value for this city"})
    log_effect = fields.Float(
        metadata={"description": "effect on ln(expected loss), against a baseline city"}
    )
    effect_pct = fields.Float(
        metadata={"description": "expected loss is (1 + effect_pct / 100) times the baseline's, %"}
    )
    effect_usd = fields.Float(
        metadata={"description": "effect on expected loss, USD (negative lowers it)"}
    )
    direction = fields.String(
        validate=validate.OneOf(("raises", "lowers")),
        metadata={"description": "whether the field raises or lowers the expected loss"},
    )
    cause = fields.String(
        validate=validate.OneOf(CLAIM_CAUSES),
        metadata={
            "description": "the claim cause whose expected loss this field moves most "
            "(its contribution weighted by the cause's share of the city's loss)"
        },
    )
