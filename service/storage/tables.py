"""Tables: tenants, API keys, quotes, model promotions, the insurers' books (SQLAlchemy 2.x ORM).

The schema itself is created and changed only by Alembic migrations
(service/storage/migrations); these classes describe it for queries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint
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


class Policy(Base):
    """A bound quote: one policy of a tenant's book (CONTRACT §7), never deleted.

    ``id`` is "p_" + the quote id's hex part, so the city's common random
    numbers (drawn per policy id) are the same when its quote was priced
    against the book and after it joined the book. ``quote_id`` is unique: two
    workers binding one quote at once make one policy. ``status`` is
    ``in_force`` or ``cancelled``; a cancelled policy stays for the history.
    The terms are copied from the quote (limit, retention, premium,
    coverages); ``exposure`` holds the model fields, ``vendors`` the names as
    the city gave them and ``vendors_canonical`` the names the event catalog
    matched them to at binding. ``bound_by`` / ``cancelled_by`` are key
    lookup prefixes, never keys.
    """

    __tablename__ = "policies"
    __table_args__ = (Index("ix_policies_tenant_status", "tenant_id", "status"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    limit_usd: Mapped[float] = mapped_column(Float)
    retention_usd: Mapped[float] = mapped_column(Float)
    premium_usd: Mapped[float] = mapped_column(Float)
    coverages: Mapped[list[str]] = mapped_column(JSON)
    exposure: Mapped[dict[str, Any]] = mapped_column(JSON)
    vendors: Mapped[list[str]] = mapped_column(JSON)
    vendors_canonical: Mapped[list[str]] = mapped_column(JSON)
    bound_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    bound_by: Mapped[str] = mapped_column(String(16))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(16), nullable=True)


class BookChange(Base):
    """The audit trail of a book: who bound or cancelled which policy, when.

    Written in the transaction that changes the policy, so every change is
    recorded or none is. The tenant's largest ``id`` is its book revision,
    which keys the cached year losses (service.book.cache).
    """

    __tablename__ = "book_changes"
    __table_args__ = (Index("ix_book_changes_tenant_id", "tenant_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    policy_id: Mapped[str] = mapped_column(ForeignKey("policies.id"))
    action: Mapped[str] = mapped_column(String(16))
    key_prefix: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
