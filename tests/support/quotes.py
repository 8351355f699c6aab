"""Stored quote rows written straight to the database, for the drift readers' tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.storage.tables import Quote, Tenant

TENANT = "acme"


def quote_id(i: int) -> str:
    """The id ``store_quotes`` gives its i-th row."""
    return f"q{i:05d}"


def store_quotes(
    session: Session,
    exposures: Sequence[dict[str, Any]],
    created_at: Sequence[datetime],
    first_id: int = 0,
) -> None:
    """Commit one quote row per exposure (ids quote_id(first_id + i)) for tenant ``acme``.

    Only the columns the drift readers look at carry meaning: the exposure and
    the time; the response is an empty object.
    """
    if session.get(Tenant, TENANT) is None:
        session.add(Tenant(id=TENANT))
        session.flush()
    for i, (exposure, at) in enumerate(zip(exposures, created_at, strict=True)):
        session.add(
            Quote(
                id=quote_id(first_id + i),
                tenant_id=TENANT,
                request_sha256="0" * 64,
                exposure=exposure,
                policy={"limit_usd": 1_000_000, "retention_usd": 50_000},
                response_json="{}",
                decision="quote",
                model_version="v",
                rating_plan_version="2026.1",
                created_at=at,
            )
        )
    session.commit()
