"""Issuing and storing quotes: one engine call, one transaction, idempotent retries.

A quote reaches the client only after its row is committed, so every quote a
client holds can be fetched again; if the commit fails the client gets a 503
and no quote. With an Idempotency-Key the (tenant, key) unique constraint
makes a retry, even one racing the first request in another worker, return
the stored quote instead of pricing twice.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from models.spec.fields import FIELDS_BY_NAME
from service.engine.protocol import QuoteEngine
from service.engine.slot import DECISIONS
from service.http.errors import ApiError
from service.storage.db import Database
from service.storage.tables import Quote

#: The ``portfolio_impact`` of a new quote, given its id (None: the tenant's book is empty).
ImpactOfQuote = Callable[[str], dict[str, Any] | None]


@dataclass(frozen=True)
class IssuedQuote:
    """The response text of a quote; ``replayed`` when an earlier request made it."""

    quote_id: str
    decision: str
    response_json: str
    replayed: bool


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def request_fingerprint(exposure: dict[str, Any], policy: dict[str, Any]) -> str:
    """SHA-256 of the validated request; set members in any order hash the same."""
    canonical = {
        name: sorted(value) if FIELDS_BY_NAME[name].kind == "set" else value
        for name, value in exposure.items()
    }
    blob = canonical_json({"exposure": canonical, "policy": policy})
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _replay(row: Quote, fingerprint: str) -> IssuedQuote:
    if row.request_sha256 != fingerprint:
        raise ApiError(
            409,
            "This Idempotency-Key was already used with a different request body; "
            "use a new key for a new quote.",
            code="idempotency_key_reused",
        )
    return IssuedQuote(row.id, row.decision, row.response_json, replayed=True)


def _find_by_key(db: Database, tenant_id: str, key: str) -> Quote | None:
    with db.session() as session:
        return session.scalars(
            select(Quote).where(Quote.tenant_id == tenant_id, Quote.idempotency_key == key)
        ).one_or_none()


def _price(
    engine: QuoteEngine, exposure: dict[str, Any], policy: dict[str, Any], marginal_tvar_usd: float
) -> dict[str, Any]:
    try:
        result = dict(engine.quote(exposure, policy, marginal_tvar_usd))
    except ValueError as exc:
        fields = getattr(exc, "fields", None) or {}
        raise ApiError(422, f"The request cannot be priced: {exc}", fields=fields) from exc
    if result.get("decision") not in DECISIONS:
        raise RuntimeError(f"engine returned decision {result.get('decision')!r}")
    return result


def issue_quote(
    db: Database,
    engine: QuoteEngine,
    tenant_id: str,
    exposure: dict[str, Any],
    policy: dict[str, Any],
    idempotency_key: str | None = None,
    impact: ImpactOfQuote | None = None,
) -> IssuedQuote:
    """Price, store and return a quote, or replay the one stored under the key.

    The quote id is drawn before pricing: ``impact`` prices the city against
    the tenant's book as the policy this quote would become ("p_" + the id's
    hex part), whose random draws are the ones it gets once bound. The
    impact is part of the stored response, so GET and replays return it.
    """
    fingerprint = request_fingerprint(exposure, policy)
    if idempotency_key is not None:
        existing = _find_by_key(db, tenant_id, idempotency_key)
        if existing is not None:
            return _replay(existing, fingerprint)

    quote_id = f"q_{uuid.uuid4().hex}"
    # The book first: the city's marginal TVaR on it is the capital load's basis.
    portfolio_impact = impact(quote_id) if impact is not None else None
    marginal_tvar = portfolio_impact["delta_aep_tvar_200_usd"] if portfolio_impact else 0.0
    result = _price(engine, exposure, policy, marginal_tvar)
    if portfolio_impact is not None:
        result["portfolio_impact"] = portfolio_impact
    created_at = datetime.now(UTC)
    body = {
        "quote_id": quote_id,
        "created_at": created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        **result,
        "model_version": engine.model_version,
        "rating_plan_version": engine.rating_plan_version,
        "policy": policy,
    }
    text = json.dumps(body, separators=(",", ":"), allow_nan=False)
    row = {
        "id": body["quote_id"],
        "tenant_id": tenant_id,
        "idempotency_key": idempotency_key,
        "request_sha256": fingerprint,
        "exposure": exposure,
        "policy": policy,
        "response_json": text,
        "decision": result["decision"],
        "model_version": engine.model_version,
        "rating_plan_version": engine.rating_plan_version,
        "created_at": created_at,
    }
    try:
        with db.session() as session, session.begin():
            # A Core insert: one statement, without the ORM's unit-of-work cost.
            session.execute(insert(Quote), [row])
    except IntegrityError:
        # Lost a race with the same key in another worker: theirs is the quote.
        existing = _find_by_key(db, tenant_id, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return _replay(existing, fingerprint)
    except SQLAlchemyError as exc:
        raise ApiError(
            503,
            "The quote could not be stored, so none was issued; retry (with the same "
            "Idempotency-Key to be safe).",
            code="storage_unavailable",
        ) from exc
    return IssuedQuote(body["quote_id"], result["decision"], text, replayed=False)


def find_quote(db: Database, tenant_id: str, quote_id: str) -> str | None:
    """The stored response text of the tenant's quote, or None (also for others' quotes)."""
    with db.session() as session:
        return session.scalars(
            select(Quote.response_json).where(Quote.id == quote_id, Quote.tenant_id == tenant_id)
        ).one_or_none()
