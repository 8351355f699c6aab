"""GET /v1/models, GET /v1/models/{version}, POST /v1/models/{version}/promote.

Any valid key may read the registry (insurers see which model priced their
quotes and how it scored on holdout data); only an admin key may promote.
Refused promotions are 409 ``bundle_rejected`` with the reason, and the
active model stays. The promoting worker switches at once; the others notice
the new ACTIVE pointer within about a second (service.engine.slot).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask.views import MethodView
from sqlalchemy.exc import SQLAlchemyError

from models.versions.registry import Registry
from service.access.auth import SECURITY, bearer_token, current_principal, require_role
from service.access.keys import LOOKUP_PREFIX_LENGTH
from service.engine.slot import engine_slot
from service.http.api import Blueprint, document_errors
from service.http.errors import ApiError, ErrorSchema
from service.model_versions import catalog as model_catalog
from service.model_versions import promotions
from service.model_versions.schemas import (
    ModelDetailSchema,
    ModelListSchema,
    PromotionResultSchema,
)
from service.storage.db import get_db

blp = Blueprint("models", __name__, url_prefix="/v1/models", description="Model versions")


def _registry() -> Registry:
    return Registry(current_app.config.get("POLISURE_MODELS_DIR"))


def _utc(moment: datetime) -> str:
    # SQLite hands back naive datetimes; every stored time is UTC.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _promotion(p: promotions.Promotion) -> dict[str, Any]:
    # Who promoted is the platform operator's business: an insurer's key sees
    # that and when a model was promoted, never another tenant's name or key.
    operator = current_principal().role == "admin"
    return {
        "version": p.version,
        "previous_version": p.previous_version,
        "outcome": p.outcome,
        "reason": p.reason,
        "promoted_by": {"tenant_id": p.tenant_id, "key_prefix": p.key_prefix} if operator else None,
        "promoted_at": _utc(p.promoted_at),
    }


def _unknown(version: str) -> ApiError:
    return ApiError(404, f"No model version {version[:80]!r} in the models directory.")


def _storage_unavailable() -> ApiError:
    return ApiError(503, "The promotion audit could not be read or written; retry.")


@blp.route("")
class Models(MethodView):
    @blp.doc(security=SECURITY)
    @require_role("insurer", "admin")
    @blp.response(200, ModelListSchema)
    @document_errors(blp, 401, 429)
    def get(self) -> dict[str, Any]:
        """List model versions: creation time, which is active, headline holdout metrics

        ``previous_version`` is the one-step rollback target.
        """
        registry = _registry()
        active = registry.active_version()
        try:
            previous = promotions.rollback_version(get_db(), active)
        except SQLAlchemyError as exc:
            raise _storage_unavailable() from exc
        return {
            "active_version": active,
            "previous_version": previous,
            "models": [model_catalog.summary(registry, v, active) for v in registry.versions()],
        }


@blp.route("/<string:version>")
class ModelVersion(MethodView):
    @blp.doc(security=SECURITY)
    @require_role("insurer", "admin")
    @blp.response(200, ModelDetailSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such version.")
    @document_errors(blp, 401, 429)
    def get(self, version: str) -> dict[str, Any]:
        """One model version: every holdout metric, its model card, who promoted it when"""
        registry = _registry()
        if version not in registry.versions():
            raise _unknown(version)
        try:
            rows = promotions.history(get_db(), version)
        except SQLAlchemyError as exc:
            raise _storage_unavailable() from exc
        last = next((r for r in rows if r.outcome == promotions.PROMOTED), None)
        out = model_catalog.detail(registry, version, registry.active_version())
        out["promoted_by"] = _promotion(last)["promoted_by"] if last else None  # admins only
        out["promoted_at"] = _utc(last.promoted_at) if last else None
        out["promotions"] = [_promotion(r) for r in rows]
        return out


@blp.route("/<string:version>/promote")
class Promote(MethodView):
    @blp.doc(security=SECURITY)
    @require_role("admin")
    @blp.response(200, PromotionResultSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such version.")
    @blp.alt_response(
        409,
        schema=ErrorSchema,
        description="bundle_rejected: the bundle is incomplete, altered (fails its SHA-256 "
        "manifest), unloadable or built for another field spec; the active model stays.",
    )
    @document_errors(blp, 401, 403, 429)
    def post(self, version: str) -> dict[str, Any]:
        """Make a version the one that prices quotes (admin); audited; rollback = promote the previous

        The bundle is loaded and verified first. Every gunicorn worker serves
        it within about a second, without a restart or a failed request.
        Promoting the active version changes nothing (200, outcome unchanged).
        """
        principal = current_principal()
        key_prefix = (bearer_token() or "")[:LOOKUP_PREFIX_LENGTH]
        registry = _registry()
        try:
            done = promotions.promote(get_db(), registry, version, principal.tenant_id, key_prefix)
        except promotions.UnknownVersion as exc:
            raise _unknown(version) from exc
        except promotions.PromotionRefused as exc:
            raise ApiError(
                409,
                f"Model {version} was not promoted; {registry.active_version()} stays active. "
                f"Reason: {exc.reason}",
                code="bundle_rejected",
            ) from exc
        except SQLAlchemyError as exc:
            raise _storage_unavailable() from exc
        engine_slot().check_now()  # this worker serves it from the next request on
        return {**_promotion(done), "active_version": registry.active_version()}
