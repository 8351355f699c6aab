"""Audit trail of model promotions: model_promotions.

Revision ID: 0002_model_promotions
Revises: 0001_initial
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_model_promotions"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_promotions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("previous_version", sa.String(128), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("key_prefix", sa.String(16), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_model_promotions_version", "model_promotions", ["version"])


def downgrade() -> None:
    op.drop_index("ix_model_promotions_version", table_name="model_promotions")
    op.drop_table("model_promotions")
