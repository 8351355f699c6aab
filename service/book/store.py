"""Binding and cancelling policies: one transaction each, audited, safe under two workers.

A quote is *still valid* for binding when it is the caller's tenant's, was
not declined, and was given at most ``valid_days`` days ago (the service's
POLISURE_QUOTE_VALID_DAYS, default 30): its price was computed on the model,
plan and exposure of that day, and a month is how long an insurer's quotes
usually hold. A referred quote may be bound (the insurer's underwriter has
looked at it). A quote whose policy was cancelled cannot be bound again:
cancellation ends that policy, and a new cover needs a new quote.

The policy id is "p_" + the quote id's hex part and ``quote_id`` is unique,
so two workers binding the same quote at the same instant make one policy:
the second insert fails, reads the first one's policy and answers with it.
The policy row and its audit row are committed together, so a book never
changes unrecorded. A cancellation is a conditional update (in force ->
cancelled): only the request that changed it writes an audit row, and
cancelling again changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from models.accumulation.catalog import EventCatalog
from service.book.book_file import policy_id_of_quote
from service.book.policies import BIND, CANCEL, CANCELLED, IN_FORCE, BookPolicy, utc
from service.http.errors import ApiError
from service.storage.db import Database
from service.storage.tables import BookChange, Policy, Quote, utc_now

#: Tries at reading a consistent (revision, policies) pair while others bind.
SNAPSHOT_TRIES = 5


def storage_unavailable(what: str) -> ApiError:
    return ApiError(
        503,
        f"The book could not be {what}; nothing was changed. Retry.",
        code="storage_unavailable",
    )


@dataclass(frozen=True)
class Bound:
    """The policy of a bind request; ``created`` False when the quote was bound before."""

    policy: BookPolicy
    created: bool


@dataclass(frozen=True)
class BookSnapshot:
    """The policies in force of a tenant at one book revision (0: never changed)."""

    revision: int
    policies: tuple[BookPolicy, ...]


def canonical_vendors(catalog: EventCatalog, vendors: list[str]) -> list[str]:
    """The catalog's folded canonical names of the city's vendors, each once, in order."""
    names = (catalog.canonical_vendor(v) for v in vendors if v.strip())
    return list(dict.fromkeys(names))


def _policy_of_quote(session: Session, quote_id: str) -> BookPolicy | None:
    row = session.scalars(select(Policy).where(Policy.quote_id == quote_id)).one_or_none()
    return BookPolicy.of(row) if row is not None else None


def _already_bound(policy: BookPolicy) -> Bound:
    if policy.status == CANCELLED:
        raise ApiError(
            409,
            f"Quote {policy.quote_id} was bound as policy {policy.policy_id}, which was "
            "cancelled; a cancelled policy is not bound again. Ask for a new quote.",
            code="policy_cancelled",
        )
    return Bound(policy, created=False)


def _check_bindable(quote: Quote, valid_days: int, now: datetime) -> None:
    if quote.decision == "decline":
        raise ApiError(
            409, f"Quote {quote.id} was declined and cannot be bound.", code="quote_not_bindable"
        )
    if now - utc(quote.created_at) > timedelta(days=valid_days):
        raise ApiError(
            409,
            f"Quote {quote.id} is more than {valid_days} days old and can no longer be "
            "bound. Ask for a new quote.",
            code="quote_expired",
        )


def _policy_row(
    quote: Quote, catalog: EventCatalog, key_prefix: str, now: datetime
) -> dict[str, object]:
    vendors = [str(v) for v in quote.exposure.get("vendors") or []]
    return {
        "id": policy_id_of_quote(quote.id),
        "tenant_id": quote.tenant_id,
        "quote_id": quote.id,
        "status": IN_FORCE,
        "limit_usd": float(quote.policy["limit_usd"]),
        "retention_usd": float(quote.policy["retention_usd"]),
        "premium_usd": float(json.loads(quote.response_json)["premium_usd"]),
        "coverages": list(quote.policy["coverages"]),
        "exposure": {k: v for k, v in quote.exposure.items() if k != "vendors"},
        "vendors": vendors,
        "vendors_canonical": canonical_vendors(catalog, vendors),
        "bound_at": now,
        "bound_by": key_prefix,
    }


def _find_bindable(db: Database, tenant_id: str, quote_id: str) -> tuple[Quote, BookPolicy | None]:
    with db.session() as session:
        quote = session.scalars(
            select(Quote).where(Quote.id == quote_id, Quote.tenant_id == tenant_id)
        ).one_or_none()
        if quote is None:
            raise ApiError(404, f"No quote {quote_id[:64]!r} for this tenant.")
        return quote, _policy_of_quote(session, quote_id)


def bind_quote(
    db: Database,
    catalog: EventCatalog,
    tenant_id: str,
    quote_id: str,
    key_prefix: str,
    valid_days: int,
) -> Bound:
    """Bind the tenant's quote (or return the policy it already is); 404, 409, 503."""
    now = utc_now()
    try:
        quote, existing = _find_bindable(db, tenant_id, quote_id)
        if existing is not None:
            return _already_bound(existing)
        _check_bindable(quote, valid_days, now)
        row = _policy_row(quote, catalog, key_prefix, now)
        try:
            with db.session() as session, session.begin():
                session.execute(insert(Policy), [row])
                session.add(_change(tenant_id, str(row["id"]), BIND, key_prefix, now))
        except IntegrityError:
            # Another worker bound it first: its policy is the answer.
            with db.session() as session:
                existing = _policy_of_quote(session, quote_id)
            if existing is None:
                raise
            return _already_bound(existing)
        with db.session() as session:
            bound = _policy_of_quote(session, quote_id)
    except SQLAlchemyError as exc:
        raise storage_unavailable("written") from exc
    assert bound is not None  # committed above
    return Bound(bound, created=True)


def _change(
    tenant_id: str, policy_id: str, action: str, key_prefix: str, now: datetime
) -> BookChange:
    return BookChange(
        tenant_id=tenant_id, policy_id=policy_id, action=action, key_prefix=key_prefix, at=now
    )


def cancel_policy(db: Database, tenant_id: str, policy_id: str, key_prefix: str) -> BookPolicy:
    """Take the tenant's policy out of the book (idempotent); 404 for another tenant's."""
    now = utc_now()
    try:
        with db.session() as session, session.begin():
            result = session.execute(
                update(Policy)
                .where(
                    Policy.id == policy_id,
                    Policy.tenant_id == tenant_id,
                    Policy.status == IN_FORCE,
                )
                .values(status=CANCELLED, cancelled_at=now, cancelled_by=key_prefix)
            )
            # Only the request that moved it out of force records the cancellation.
            if cast(CursorResult[Any], result).rowcount == 1:
                session.add(_change(tenant_id, policy_id, CANCEL, key_prefix, now))
        with db.session() as session:
            row = session.scalars(
                select(Policy).where(Policy.id == policy_id, Policy.tenant_id == tenant_id)
            ).one_or_none()
            policy = BookPolicy.of(row) if row is not None else None
    except SQLAlchemyError as exc:
        raise storage_unavailable("written") from exc
    if policy is None:
        raise ApiError(404, f"No policy {policy_id[:64]!r} in this tenant's book.")
    return policy


def _revision(session: Session, tenant_id: str) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.max(BookChange.id), 0)).where(
                BookChange.tenant_id == tenant_id
            )
        )
        or 0
    )


def book_revision(db: Database, tenant_id: str) -> int:
    """The tenant's book revision: its newest audit row's id (0: never changed)."""
    try:
        with db.session() as session:
            return _revision(session, tenant_id)
    except SQLAlchemyError as exc:
        raise storage_unavailable("read") from exc


def book_snapshot(db: Database, tenant_id: str) -> BookSnapshot:
    """The policies in force and the revision they are (bound order, then id).

    The revision is read before and after the policies; a bind or cancel in
    between (another worker) makes them differ, and the read is repeated, so
    a revision is never paired with another revision's policies.
    """
    query = (
        select(Policy)
        .where(Policy.tenant_id == tenant_id, Policy.status == IN_FORCE)
        .order_by(Policy.bound_at, Policy.id)
    )
    try:
        for _ in range(SNAPSHOT_TRIES):
            with db.session() as session:
                before = _revision(session, tenant_id)
                policies = tuple(BookPolicy.of(row) for row in session.scalars(query))
                if _revision(session, tenant_id) == before:
                    return BookSnapshot(before, policies)
    except SQLAlchemyError as exc:
        raise storage_unavailable("read") from exc
    raise storage_unavailable("read consistently while it kept changing")


#: (book revision, policies in force) of the tenant bound as ``tenant``: built once,
#: since building and keying the statement cost 3-4x its execution (issue 13).
_IN_FORCE_COUNT = select(
    select(func.coalesce(func.max(BookChange.id), 0))
    .where(BookChange.tenant_id == bindparam("tenant"))
    .scalar_subquery(),
    select(func.count())
    .select_from(Policy)
    .where(Policy.tenant_id == bindparam("tenant"), Policy.status == IN_FORCE)
    .scalar_subquery(),
)


def in_force_count(db: Database, tenant_id: str) -> tuple[int, int]:
    """(book revision, policies in force) of the tenant, in one query (one snapshot).

    Every quote asks this: one round trip on a plain connection (issue 13).
    """
    try:
        with db.engine.connect() as connection:
            row = connection.execute(_IN_FORCE_COUNT, {"tenant": tenant_id}).one()
            return int(row[0] or 0), int(row[1] or 0)
    except SQLAlchemyError as exc:
        raise storage_unavailable("read") from exc
