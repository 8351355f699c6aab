"""Probes: /healthz (the process answers) and /readyz (it can quote).

/readyz is 200 only when the quote engine is loaded and the database answers
a query on the migrated schema; otherwise 503 with every reason, so an
orchestrator keeps traffic away from a worker that would fail quotes. It also
names the model version this worker serves and the one ACTIVE names; a
promoted bundle that failed to load is reported (the worker stays ready: its
previous model keeps serving).
"""

from __future__ import annotations

from marshmallow import Schema, fields
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.engine.slot import engine_slot
from service.http.api import Blueprint
from service.ops.server_hooks import draining
from service.storage.db import get_db

blp = Blueprint("health", __name__, description="Probes for the orchestrator")


class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok"})


class ReadinessSchema(Schema):
    status = fields.String(metadata={"description": "ready or unavailable"})
    reasons = fields.List(fields.String(), metadata={"description": "why not ready"})
    model_version = fields.String(metadata={"description": "the version this worker serves"})
    rating_plan_version = fields.String()
    active_model_version = fields.String(
        metadata={"description": "the version ACTIVE names; differs briefly after a promotion"}
    )
    model_reload_error = fields.String(
        metadata={"description": "why the promoted version failed to load (the served one stays)"}
    )


@blp.route("/healthz")
@blp.response(200, HealthSchema)
def healthz() -> dict[str, str]:
    """Liveness: the process is up and answering"""
    return {"status": "ok"}


def database_problem() -> str | None:
    try:
        with get_db().engine.connect() as connection:
            # Reading alembic_version proves both reachability and a migrated schema.
            connection.execute(text("SELECT version_num FROM alembic_version"))
    except SQLAlchemyError as exc:
        return f"database not reachable or not migrated: {type(exc).__name__}"
    return None


@blp.route("/readyz")
@blp.response(200, ReadinessSchema)
@blp.alt_response(503, schema=ReadinessSchema, description="Not ready, with every reason.")
def readyz() -> tuple[dict[str, object], int]:
    """Readiness: the quote engine is loaded and the database answers"""
    draining_reason = "draining: the server is shutting down" if draining() else None
    reasons = [r for r in (draining_reason, engine_slot().problem(), database_problem()) if r]
    if reasons:
        return {"status": "unavailable", "reasons": reasons}, 503
    slot = engine_slot()
    engine = slot.get()
    ready: dict[str, object] = {
        "status": "ready",
        "model_version": engine.model_version,
        "rating_plan_version": engine.rating_plan_version,
    }
    # Only an engine that follows the registry has a pointer and can fail a reload.
    if slot.pointer is not None:
        ready["active_model_version"] = slot.active_version()
    if slot.reload_error:
        ready["model_reload_error"] = slot.reload_error
    return ready, 200
