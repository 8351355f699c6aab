"""Promoting a model version through the API, with its audit row.

A promotion verifies the bundle by loading it completely (manifest SHA-256s,
field spec hash, both boosters) before the registry swaps the ACTIVE pointer
(one ``os.replace``), so a bundle that is incomplete, altered or built for
another field spec is refused and the active model stays. Every request is
written to ``model_promotions`` in the same request: ``promoted``,
``unchanged`` (already active: nothing to do) or ``refused`` with the reason.
If the audit row cannot be committed the pointer is put back, so no
promotion goes unrecorded. Rollback is the promotion of ``previous_version``.

Workers notice the new pointer themselves (service.engine.slot, hot reload).
Promotions are serialised by the models directory's promotion lock
(Registry.promotion_lock): two at the same instant run one after the other,
the second sees the first's version as its previous one, so the audit
chain has no gap and rollback goes where it should.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from models.versions.bundle import BundleError
from models.versions.registry import Registry
from service.storage.db import Database
from service.storage.tables import ModelPromotion, utc_now

PROMOTED, UNCHANGED, REFUSED = "promoted", "unchanged", "refused"
HISTORY_ROWS = 50


class UnknownVersion(LookupError):
    """No bundle directory of that version in the models directory."""


class PromotionRefused(Exception):
    """The bundle cannot be loaded; ``reason`` says why. The active model is unchanged."""

    def __init__(self, version: str, reason: str) -> None:
        super().__init__(reason)
        self.version = version
        self.reason = reason


@dataclass(frozen=True)
class Promotion:
    """One audit row, as the API shows it."""

    version: str
    previous_version: str | None
    outcome: str
    reason: str | None
    tenant_id: str
    key_prefix: str
    promoted_at: datetime

    @classmethod
    def of(cls, row: ModelPromotion) -> Promotion:
        return cls(
            row.version,
            row.previous_version,
            row.outcome,
            row.reason,
            row.tenant_id,
            row.key_prefix,
            row.promoted_at,
        )


def _record(db: Database, promotion: Promotion) -> None:
    with db.session() as session, session.begin():
        session.add(
            ModelPromotion(
                version=promotion.version,
                previous_version=promotion.previous_version,
                outcome=promotion.outcome,
                reason=promotion.reason,
                tenant_id=promotion.tenant_id,
                key_prefix=promotion.key_prefix,
                promoted_at=promotion.promoted_at,
            )
        )


def verify_loads(registry: Registry, version: str) -> str | None:
    """None when ``version`` loads completely, else why not (in words)."""
    try:
        registry.load(version, nthread=1)
    except Exception as exc:  # any failure to load (bundle, xgboost, JSON) is a refusal
        # The models directory's own path tells the caller nothing; the version does.
        return f"{type(exc).__name__}: {exc}".replace(f"{registry.root}/", "")[:500]
    return None


def promote(
    db: Database, registry: Registry, version: str, tenant_id: str, key_prefix: str
) -> Promotion:
    """Make ``version`` active and audit it; UnknownVersion, PromotionRefused (audited)."""
    if version not in registry.versions():
        raise UnknownVersion(version)
    with registry.promotion_lock():
        return _promote_locked(db, registry, version, tenant_id, key_prefix)


def _promote_locked(
    db: Database, registry: Registry, version: str, tenant_id: str, key_prefix: str
) -> Promotion:
    previous = registry.active_version()

    def audit(outcome: str, reason: str | None = None) -> Promotion:
        row = Promotion(version, previous, outcome, reason, tenant_id, key_prefix, utc_now())
        _record(db, row)
        return row

    if previous == version:
        return audit(UNCHANGED)
    reason = verify_loads(registry, version)
    if reason is None:
        try:
            registry.promote(version)  # loads it again, then swaps the pointer atomically
        except BundleError as exc:  # altered between the two loads
            reason = f"BundleError: {exc}"[:500]
    if reason is not None:
        audit(REFUSED, reason)
        raise PromotionRefused(version, reason)
    try:
        return audit(PROMOTED)
    except SQLAlchemyError:
        # An unaudited promotion must not stand: point ACTIVE back, then fail.
        if previous is not None:
            registry.promote(previous)
        raise


def history(db: Database, version: str | None = None) -> list[Promotion]:
    """Audit rows, newest first (of one version when given), at most HISTORY_ROWS."""
    query = select(ModelPromotion).order_by(ModelPromotion.id.desc()).limit(HISTORY_ROWS)
    if version is not None:
        query = query.where(ModelPromotion.version == version)
    with db.session() as session:
        return [Promotion.of(row) for row in session.scalars(query)]


def last_promotion(db: Database, version: str | None = None) -> Promotion | None:
    """The newest ``promoted`` row (of ``version`` when given), or None."""
    query = select(ModelPromotion).where(ModelPromotion.outcome == PROMOTED)
    if version is not None:
        query = query.where(ModelPromotion.version == version)
    with db.session() as session:
        row = session.scalars(query.order_by(ModelPromotion.id.desc()).limit(1)).one_or_none()
        return Promotion.of(row) if row is not None else None


def rollback_version(db: Database, active: str | None) -> str | None:
    """The version active before ``active``: its promotion's ``previous_version``.

    None when ``active`` was not made active through the API (e.g. by
    ``python -m training train --promote``), whose history is unknown here.
    """
    latest = last_promotion(db)
    if latest is None or active is None or latest.version != active:
        return None
    return latest.previous_version
