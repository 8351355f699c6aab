"""HTTP schemas of the model registry API (GET /v1/models, promotion)."""

from __future__ import annotations

from marshmallow import Schema, fields

_METRICS = {
    "description": "holdout metrics from the bundle's metadata.json (deviance per policy-year, "
    "Gini, A/E ratio, lift; null where undefined)"
}


class PromoterSchema(Schema):
    tenant_id = fields.String(required=True)
    key_prefix = fields.String(
        required=True, metadata={"description": "lookup prefix of the API key (never the key)"}
    )


class PromotionSchema(Schema):
    """One promotion request and its outcome (the audit trail)."""

    version = fields.String(required=True)
    previous_version = fields.String(
        allow_none=True,
        metadata={"description": "active before this request; promote it again to roll back"},
    )
    outcome = fields.String(
        required=True, metadata={"description": "promoted | unchanged (already active) | refused"}
    )
    reason = fields.String(allow_none=True, metadata={"description": "why it was refused"})
    promoted_by = fields.Nested(
        PromoterSchema,
        required=True,
        allow_none=True,
        metadata={"description": "who asked; shown to admin (platform operator) keys only"},
    )
    promoted_at = fields.String(required=True, metadata={"description": "UTC, ISO 8601"})


class PromotionResultSchema(PromotionSchema):
    """The promotion just made (or found unnecessary)."""

    active_version = fields.String(
        required=True,
        metadata={"description": "the active version now; workers switch within about a second"},
    )


class ModelSummarySchema(Schema):
    """A bundle version in the models directory."""

    version = fields.String(required=True)
    created_at = fields.String(required=True, metadata={"description": "UTC, ISO 8601"})
    active = fields.Boolean(required=True, metadata={"description": "prices new quotes now"})
    metrics = fields.Dict(
        keys=fields.String(), values=fields.Float(allow_none=True), metadata=_METRICS
    )
    problem = fields.String(metadata={"description": "a bundle file that could not be read"})


class ModelListSchema(Schema):
    active_version = fields.String(allow_none=True, required=True)
    previous_version = fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "the version active before the current one: POST "
            "/v1/models/{previous_version}/promote is the one-step rollback (null when "
            "the current one was not promoted through the API)"
        },
    )
    models = fields.List(
        fields.Nested(ModelSummarySchema), required=True, metadata={"description": "oldest first"}
    )


class ModelDetailSchema(ModelSummarySchema):
    """One version: every metric, its model card and who promoted it when."""

    spec_hash = fields.String(
        allow_none=True, metadata={"description": "field spec it was built for"}
    )
    seed = fields.Integer(allow_none=True)
    training_data = fields.Dict(metadata={"description": "files, hashes and sizes it learned from"})
    model_card = fields.String(allow_none=True, metadata={"description": "Markdown"})
    promoted_by = fields.Nested(PromoterSchema, allow_none=True, required=True)
    promoted_at = fields.String(allow_none=True, required=True)
    promotions = fields.List(
        fields.Nested(PromotionSchema),
        required=True,
        metadata={"description": "every promotion request of this version, newest first"},
    )
