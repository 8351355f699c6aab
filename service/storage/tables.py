"""Tables: tenants, their API keys, every quote given, every model promotion (SQLAlchemy 2.x ORM).

The schema itself is created and changed only by Alembic migrations
(service/storage/migrations); these classes describe it for queries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utc_now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Tenant(Base):
    """An insurer (or the operator) using the API; owns keys and quotes."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ApiKey(Base):
    """A hashed API key: only the SHA-256 of the key is kept, plus a lookup prefix."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Quote(Base):
    """One quote exactly as returned, with what produced it.

    ``response_json`` is the response body's text, so a later GET returns it
    byte for byte. ``request_sha256`` is the hash of the validated request,
    compared when an Idempotency-Key is reused.
    """

    __tablename__ = "quotes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_quotes_tenant_idempotency_key"),
        Index("ix_quotes_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    exposure: Mapped[dict[str, Any]] = mapped_column(JSON)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    response_json: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16))
    model_version: Mapped[str] = mapped_column(String(128))
    rating_plan_version: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ModelPromotion(Base):
    """One request to promote a model version, and what came of it (the audit trail).

    ``outcome`` is ``promoted`` (ACTIVE now names ``version``), ``unchanged``
    (it already did) or ``refused`` (the bundle could not be loaded; ``reason``
    says why, and the active model stayed). ``previous_version`` is what ACTIVE
    named before: promoting it again is the rollback. ``key_prefix`` is the
    caller's key lookup prefix (what ``keys list`` shows), never the key.
    """

    __tablename__ = "model_promotions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(128), index=True)
    previous_version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    key_prefix: Mapped[str] = mapped_column(String(16))
    promoted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
