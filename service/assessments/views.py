"""POST /v1/assessments: the city self-assessment API (CONTRACT §5).

No API key: any city may ask. Requests are rate-limited per client address
(service.access.ratelimit counts requests without a key per address). Nothing is
stored, and nothing the city sends is logged: the access log keeps method,
path, status and timing, and ``polisure_assessments_total`` (in the app's
registry, service.ops.metrics) counts requests by channel. The domain work is
one call to the engine's self-assessor (service.engine.protocol; the model
engine keeps one models.underwriting.assessment.CityAssessor, which scores the
reference sample for the peers once); an engine without one answers 503.
With named ``vendors`` the result also carries ``systemic``
(service/assessments/systemic.py). The API is English whatever
Accept-Language asks (only the /assess page is translated).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validates_schema
from prometheus_client import Counter

from models.spec.schemas import PartialExposureSchema
from service.assessments.systemic import systemic_loss
from service.engine.slot import get_engine
from service.http.api import Blueprint, document_errors
from service.http.errors import ApiError, ErrorSchema
from service.ops.metrics import app_metrics
from service.quotes.explanation import ADD_UP, CauseLossSchema, DriverSchema
from service.quotes.schemas import vendor_name_problems

EXTENSION_KEY = "polisure.assessments_total"
#: Headers of every self-assessment answer: results are private to the browser.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

blp = Blueprint(
    "assessments", __name__, url_prefix="/v1/assessments", description="City self-assessment"
)


class AssessmentRequestSchema(Schema):
    exposure = fields.Nested(
        PartialExposureSchema,
        required=True,
        metadata={
            "description": "any subset of the exposure fields; omitted or null = don't know. "
            "``vendors`` (optional, as for quotes) adds the systemic loss through them"
        },
    )

    @validates_schema
    def _vendor_names(self, data: dict[str, Any], **kwargs: Any) -> None:
        # The quotes' rules for a name (not blank, no "|"), so a name the book refuses is refused.
        problems = vendor_name_problems((data.get("exposure") or {}).get("vendors") or [])
        if problems:
            raise ValidationError({"exposure": {"vendors": problems}})


class RangeSchema(Schema):
    low = fields.Float(required=True)
    high = fields.Float(required=True)


class RecommendationSchema(Schema):
    field = fields.String(required=True)
    label = fields.String()
    action = fields.String(metadata={"description": "what to do, in plain language"})
    current_value = fields.Raw(metadata={"description": "the answer, or the assumed value"})
    value = fields.Raw(required=True, metadata={"description": "the suggested answer"})
    answered = fields.Boolean()
    estimate = fields.Boolean(metadata={"description": "true: measured from an assumed value"})
    expected_loss_change_usd = fields.Float(required=True)
    premium_change_usd = fields.Float(required=True)


class AssessmentDriverSchema(DriverSchema):
    answered = fields.Boolean(
        metadata={"description": "false: the value was assumed for an unanswered field"}
    )
    actionable = fields.Boolean(
        metadata={"description": "true: a field the city can change (not its size or context)"}
    )


class VendorLossSchema(Schema):
    vendor = fields.String(required=True, metadata={"description": "as the city wrote it"})
    catalog_vendor = fields.String(
        metadata={"description": "the folded name the catalog matches (aliases resolved)"}
    )
    events = fields.Integer(metadata={"description": "catalog events of this vendor (0: none)"})
    aal_usd = fields.Float(
        required=True,
        metadata={"description": "expected annual loss to the city from the vendor's events, USD"},
    )
    loss_1_in_100_usd = fields.Float(
        required=True, metadata={"description": "their aggregate loss in a 1-in-100 year, USD"}
    )
    loss_1_in_200_usd = fields.Float(metadata={"description": "the same at 1-in-200, USD"})
    reference_cities = fields.Integer(
        required=True,
        metadata={"description": "cities of the reference portfolio naming the same vendor"},
    )
    reference_share_pct = fields.Float(metadata={"description": "the same, % of its cities"})


class SystemicSchema(Schema):
    """The city alone in a one-city book on the active catalog (reference policy's terms)."""

    vendors = fields.List(fields.Nested(VendorLossSchema), required=True)
    aal_usd = fields.Float(
        metadata={"description": "expected annual loss of the one-city book: own claims and events"}
    )
    catalog_aal_usd = fields.Float(
        metadata={"description": "expected annual loss from every catalog event (not own claims)"}
    )
    policy_id = fields.String()
    catalog_version = fields.String(required=True)
    years = fields.Integer(required=True)
    seed = fields.Integer(required=True)
    reference_portfolio = fields.Dict()


class AssessmentSchema(Schema):
    """A self-assessment (USD figures are for the reference policy over one year)."""

    risk_score = fields.Float(required=True, metadata={"description": "0-100, higher = riskier"})
    risk_grade = fields.String(required=True)
    peer_percentile = fields.Float(required=True)
    peer_group = fields.Dict()
    claim_rate_per_year = fields.Float(
        metadata={"description": "expected claims per year, all causes (the causes add up to it)"}
    )
    expected_annual_ground_up_loss_usd = fields.Float(
        metadata={
            "description": "expected loss per year before retention, limit and coverages, "
            "all causes, USD per year"
        }
    )
    expected_loss_usd = fields.Float(
        required=True,
        metadata={
            "description": "expected insured loss in the reference policy's layer over its "
            "year (pure premium), USD"
        },
    )
    causes = fields.List(
        fields.Nested(CauseLossSchema),
        required=True,
        metadata={"description": f"{ADD_UP} Priced for the reference policy."},
    )
    premium_usd = fields.Float()
    premium_range_usd = fields.Nested(RangeSchema, required=True)
    reference_policy = fields.Dict(required=True)
    drivers = fields.List(
        fields.Nested(AssessmentDriverSchema),
        required=True,
        metadata={"description": "the fields that move the expected loss most, largest first"},
    )
    actionable_drivers = fields.List(
        fields.Nested(AssessmentDriverSchema),
        metadata={
            "description": "the fields the city can act on that move the expected loss most, "
            "largest first (what to work on)"
        },
    )
    baseline_drivers = fields.List(
        fields.Nested(AssessmentDriverSchema),
        metadata={
            "description": "size and context (population, budget, staff, services, records, "
            "regime) that move the expected loss most: why the baseline is what it is"
        },
    )
    recommendations = fields.List(fields.Nested(RecommendationSchema), required=True)
    systemic = fields.Nested(
        SystemicSchema,
        metadata={"description": "only with named vendors: their systemic loss to the city"},
    )
    assumed_values = fields.Dict(
        metadata={"description": "the value assumed for each unanswered field"}
    )
    answered_fields = fields.List(fields.String(), required=True)
    unanswered_fields = fields.List(fields.String(), required=True)
    method = fields.Dict()
    model_version = fields.String()
    rating_plan_version = fields.String()


def init_app(app: Flask) -> None:
    """Register ``polisure_assessments_total`` in the app's registry (after service.ops.metrics)."""
    app.extensions[EXTENSION_KEY] = Counter(
        "polisure_assessments_total",
        "City self-assessments answered, by channel.",
        ["channel"],
        registry=app_metrics(app).registry,
    )


def assess(answers: dict[str, Any], channel: str) -> dict[str, Any]:
    """Assess validated answers with the app's engine; counts the request, stores nothing."""
    engine = get_engine()
    assessor = engine.self_assessor()
    if assessor is None:
        raise ApiError(503, "The self-assessment needs the model engine, which is not loaded.")
    result = assessor.assess(answers)
    systemic = systemic_loss(engine, answers, result)
    if systemic is not None:
        result["systemic"] = systemic
    assessments: Counter = current_app.extensions[EXTENSION_KEY]
    assessments.labels(channel=channel).inc()
    return result


@blp.route("")
class Assessments(MethodView):
    @blp.arguments(AssessmentRequestSchema)
    @blp.response(200, AssessmentSchema)
    @blp.alt_response(503, schema=ErrorSchema, description="No model loaded.")
    @document_errors(blp, 400, 413, 422, 429)
    def post(self, body: dict[str, Any]) -> Response:
        """Score a city from what it knows: range, peers, drivers and ranked fixes

        Any exposure field may be omitted ("don't know"): it is filled from
        reference cities of similar size, and the premium range for the
        reference policy shows how much those unknowns matter (all answered:
        low == high). Not stored; no API key needed; rate-limited per address.
        """
        response = jsonify(assess(body["exposure"], channel="api"))
        response.headers.update(PRIVATE_HEADERS)
        return response
