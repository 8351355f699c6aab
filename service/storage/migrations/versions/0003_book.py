"""The insurer's book: policies (bound quotes) and book_changes (its audit trail).

Revision ID: 0003_book
Revises: 0002_model_promotions
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_book"
down_revision: str | None = "0002_model_promotions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("quote_id", sa.String(40), sa.ForeignKey("quotes.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("limit_usd", sa.Float, nullable=False),
        sa.Column("retention_usd", sa.Float, nullable=False),
        sa.Column("premium_usd", sa.Float, nullable=False),
        sa.Column("coverages", sa.JSON, nullable=False),
        sa.Column("exposure", sa.JSON, nullable=False),
        sa.Column("vendors", sa.JSON, nullable=False),
        sa.Column("vendors_canonical", sa.JSON, nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bound_by", sa.String(16), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(16), nullable=True),
        # One policy per quote, also when two workers bind it at the same instant.
        sa.UniqueConstraint("quote_id"),
    )
    op.create_index("ix_policies_tenant_status", "policies", ["tenant_id", "status"])
    op.create_table(
        "book_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("policy_id", sa.String(40), sa.ForeignKey("policies.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("key_prefix", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_book_changes_tenant_id", "book_changes", ["tenant_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_book_changes_tenant_id", table_name="book_changes")
    op.drop_table("book_changes")
    op.drop_index("ix_policies_tenant_status", table_name="policies")
    op.drop_table("policies")
