"""API keys: issue, authenticate, list and revoke.

A key is ``psk_`` + 43 random URL-safe characters (256 bits from
``secrets``). Only its SHA-256 is stored, with its first 12 characters as a
lookup prefix; a plain hash (no slow KDF) is enough because the key is
random, not a password a person chose. Hashes are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.storage.tables import ApiKey, Tenant, utc_now

ROLES = ("insurer", "admin")
KEY_PREFIX = "psk_"
LOOKUP_PREFIX_LENGTH = 12
TENANT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the tenant, the role and which key."""

    tenant_id: str
    role: str
    key_id: int


@dataclass(frozen=True)
class KeyInfo:
    """What ``keys list`` shows (never the key itself)."""

    key_id: int
    tenant_id: str
    role: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


def key_sha256(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, tenant_id: str, role: str) -> str:
    """Create the tenant if new, store a new key for it and return the key once."""
    if not TENANT_ID_PATTERN.match(tenant_id):
        raise ValueError(
            f"tenant {tenant_id!r}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if role not in ROLES:
        raise ValueError(f"role {role!r}: must be one of {', '.join(ROLES)}")
    if session.get(Tenant, tenant_id) is None:
        session.add(Tenant(id=tenant_id))
        session.flush()  # the key row references the tenant row
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            tenant_id=tenant_id,
            role=role,
            prefix=key[:LOOKUP_PREFIX_LENGTH],
            key_sha256=key_sha256(key),
        )
    )
    return key


def authenticate(session: Session, key: str) -> Principal | None:
    """The principal of a valid, unrevoked key; None for anything else."""
    if not key.startswith(KEY_PREFIX) or len(key) > 128:
        return None
    # Plain columns, not an ORM object: this runs on every request.
    row = session.execute(
        select(
            ApiKey.id, ApiKey.tenant_id, ApiKey.role, ApiKey.key_sha256, ApiKey.revoked_at
        ).where(ApiKey.prefix == key[:LOOKUP_PREFIX_LENGTH])
    ).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_sha256, key_sha256(key)):
        return None
    return Principal(tenant_id=row.tenant_id, role=row.role, key_id=row.id)


def list_keys(session: Session, tenant_id: str | None = None) -> list[KeyInfo]:
    query = select(ApiKey).order_by(ApiKey.id)
    if tenant_id is not None:
        query = query.where(ApiKey.tenant_id == tenant_id)
    return [
        KeyInfo(k.id, k.tenant_id, k.role, k.prefix, k.created_at, k.revoked_at)
        for k in session.scalars(query)
    ]


def revoke_key(session: Session, prefix: str) -> bool:
    """Revoke the key with this lookup prefix; False if there is none."""
    row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
    if row is None:
        return False
    if row.revoked_at is None:
        row.revoked_at = utc_now()
    return True
