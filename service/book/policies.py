"""A policy of the book as the service shows it, read from its row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.book.book_file import BookEntry
from service.storage.tables import Policy

IN_FORCE, CANCELLED = "in_force", "cancelled"
BIND, CANCEL = "bind", "cancel"


def utc(moment: datetime) -> datetime:
    """An aware UTC time (SQLite hands back naive datetimes; every stored time is UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return utc(moment).astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class BookPolicy:
    """One policy (in force or cancelled) with its terms, vendors and history."""

    policy_id: str
    quote_id: str
    status: str
    limit_usd: float
    retention_usd: float
    premium_usd: float
    coverages: tuple[str, ...]
    exposure: dict[str, Any]
    vendors: tuple[str, ...]
    vendors_canonical: tuple[str, ...]
    bound_at: datetime
    bound_by: str
    cancelled_at: datetime | None
    cancelled_by: str | None

    @classmethod
    def of(cls, row: Policy) -> BookPolicy:
        return cls(
            row.id,
            row.quote_id,
            row.status,
            float(row.limit_usd),
            float(row.retention_usd),
            float(row.premium_usd),
            tuple(row.coverages),
            dict(row.exposure),
            tuple(row.vendors),
            tuple(row.vendors_canonical),
            utc(row.bound_at),
            row.bound_by,
            utc(row.cancelled_at) if row.cancelled_at else None,
            row.cancelled_by,
        )

    def entry(self) -> BookEntry:
        """What the book's simulation reads of this policy."""
        return BookEntry(
            self.policy_id,
            self.limit_usd,
            self.retention_usd,
            self.exposure,
            self.vendors,
            self.coverages,
        )

    def as_json(self) -> dict[str, Any]:
        """The policy as the API returns it (exposure left out: it is the quote's)."""
        return {
            "policy_id": self.policy_id,
            "quote_id": self.quote_id,
            "status": self.status,
            "limit_usd": self.limit_usd,
            "retention_usd": self.retention_usd,
            "premium_usd": self.premium_usd,
            "coverages": list(self.coverages),
            "vendors": list(self.vendors),
            "vendors_canonical": list(self.vendors_canonical),
            "bound_at": iso(self.bound_at),
            "bound_by": self.bound_by,
            "cancelled_at": iso(self.cancelled_at),
            "cancelled_by": self.cancelled_by,
        }
